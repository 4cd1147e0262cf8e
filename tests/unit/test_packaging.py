"""The project's metadata tells the truth about what installs it and what it runs on."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import tomllib
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = dict(
    line.split("==", 1)
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    if "==" in line
)


def lowest_python(specifier: str) -> Version:
    """The lowest Python version a ``>=X.Y`` requirement admits (X.Y.0)."""
    floors = [Version(m) for m in re.findall(r">=\s*([0-9.]+)", specifier)]
    assert floors, f"no lower bound in {specifier!r}"
    return max(floors)


def test_installers_are_pinned_and_installed_at_their_pins() -> None:
    for tool in ("pip", "setuptools"):
        assert tool in CONSTRAINTS, f"{tool} is not pinned in requirements/constraints.txt"
        assert importlib.metadata.version(tool) == CONSTRAINTS[tool]
    build = PYPROJECT["build-system"]["requires"]
    assert build == [f"setuptools=={CONSTRAINTS['setuptools']}"]


def test_requires_python_admits_no_version_the_pins_cannot_run_on() -> None:
    ours = lowest_python(PYPROJECT["project"]["requires-python"])
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.split(r"[=<>!~\[]", requirement, maxsplit=1)[0]
        theirs = importlib.metadata.metadata(name).get("Requires-Python")
        if theirs:
            assert Version(f"{ours}") in SpecifierSet(theirs), (
                f"requires-python allows {ours}, but {name} needs Python {theirs}"
            )
