"""Lazy package exports: every public name resolves, and importing a package stays cheap."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline_lib

LAZY_PACKAGES = ("catalog", "generators", "ingestion", "query")
ROOT = Path(pipeline_lib.__file__).parent


def declared(package: str) -> tuple[set[str], set[str]]:
    """Names of the ``if TYPE_CHECKING:`` imports and of the lazy_exports table."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    typed, lazy = set(), set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            typed |= {a.name for i in node.body if isinstance(i, ast.ImportFrom) for a in i.names}
        if isinstance(node, ast.If) and ast.unparse(node.test) == "not TYPE_CHECKING":
            table = next(n for n in ast.walk(node) if isinstance(n, ast.Dict))
            lazy |= {e.value for v in table.values for e in v.elts}  # type: ignore[attr-defined]
    return typed, lazy


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_the_type_checked_names_are_the_lazy_ones_and_all_resolve(package: str) -> None:
    typed, lazy = declared(package)
    assert typed and typed == lazy
    module = importlib.import_module(f"pipeline_lib.{package}")
    assert lazy <= set(module.__all__) <= set(dir(module))
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = module.nothing_here


def test_a_lazy_name_is_the_object_its_module_defines() -> None:
    from pipeline_lib.query import DuckDBEngine, _duckdb

    assert DuckDBEngine is _duckdb.DuckDBEngine


_PROBE = """
import sys
for package in sys.argv[1:]:
    __import__(f"pipeline_lib.{package}")
modules = [m.split(".")[1:] for m in sys.modules if m.startswith("pipeline_lib.")]
print(sorted(".".join(m) for m in modules if len(m) > 1 and m[0] in sys.argv[1:]))
print(sorted(m for m in ("pandas", "duckdb", "pyarrow", "faker") if m in sys.modules))
"""


def test_importing_a_package_imports_none_of_its_modules() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *LAZY_PACKAGES], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "[]"]
