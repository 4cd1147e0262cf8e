"""Build the deployable artifacts into dist/, byte for byte the same from the same inputs.

``make package`` runs it. It writes:

``dist/lambda/ecom-pipeline-lambda.zip``
    One code package for every Lambda handler (``pipeline_lib.handlers.<module>.handler``):
    the project's wheel unpacked (``pipeline_lib`` and its dist-info, so
    ``importlib.metadata.version("ecom-pipeline")`` agrees with the Glue jobs), the
    resources the handlers read beside the package (:data:`RESOURCES`), and the
    distributions the handlers import that the AWS SDK for pandas layer and the Lambda
    runtime do not provide (``requirements/lambda.txt``: wheels for CPython 3.12 on
    manylinux x86_64, downloaded by pip with their hashes checked, then unpacked).
    Checked against Lambda's size limits with the layer counted.
``dist/glue/ecom_pipeline-<version>-py3-none-any.whl`` and ``dist/glue/glue_runner.py``
    The package for the Glue Python shell jobs and their entry script (when it exists).
    The Glue wheel is built for Glue's Python 3.9: its metadata says ``Requires-Python
    >=3.9`` and requires the direct pins of ``requirements/glue.in`` at their
    ``requirements/glue.txt`` versions (the project's own pins are for Python 3.11), so pip
    installs it on Glue with the lock's pins and nothing else.
``dist/manifest.json``
    Each artifact's name, size and SHA-256 (hex, and base64 as Terraform's
    ``source_code_hash`` wants it), the handler strings and the bundled versions.

Determinism: entries sorted by name, every timestamp ``SOURCE_DATE_EPOCH`` (default
1980-01-01, the earliest a zip can hold, so a commit that changes nothing in the package
changes no hash and redeploys no function), permissions 0644 (0755 for shared
libraries), no ``__pycache__`` or ``.pyc``, dependency wheels pinned by hash.

Usage::

    python tools/package/build_artifacts.py [--out dist] [--layer-mib 170]
    python tools/package/build_artifacts.py --lock   # refresh requirements/lambda.txt
    python tools/package/build_artifacts.py --glue-lock   # refresh requirements/glue*.txt
    python tools/package/build_artifacts.py --glue-wheel DIR   # the Glue wheel alone
    python tools/package/build_artifacts.py --verify dist   # dist/ against its manifest
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pipeline_lib"
HANDLERS_DIR = f"{PACKAGE}/handlers"
LAMBDA_ZIP = "lambda/ecom-pipeline-lambda.zip"
GLUE_DIR = "glue"
GLUE_RUNNER = "glue_runner.py"
#: The files a Glue job needs beside the wheel (pipeline_lib.resources: the runner unpacks
#: them and points PIPELINE_<NAME>_DIR at each folder).
GLUE_RESOURCES_ZIP = "resources.zip"
GLUE_RESOURCE_PATTERNS = (
    "params/*.yaml",
    "sql/*.sql",
    "sql/aggregates/*.sql",  # the whole-history tables of master_data_merge
    "sql/metrics/*.sql",  # the audit's daily metrics (pipeline_lib.quality._metrics)
    "notebooks/*/*.py",
)
MANIFEST = "manifest.json"
LAMBDA_IN = ROOT / "requirements" / "lambda.in"
LAMBDA_LOCK = ROOT / "requirements" / "lambda.txt"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
#: The Glue jobs' dependencies (glue.in: names, pins where 3.9 needs older releases) and
#: their lock; the tools make test-glue adds to them, and theirs.
GLUE_IN = ROOT / "requirements" / "glue.in"
GLUE_LOCK = ROOT / "requirements" / "glue.txt"
GLUE_TEST_IN = ROOT / "requirements" / "glue-test.in"
GLUE_TEST_LOCK = ROOT / "requirements" / "glue-test.txt"
#: The two locks' headers (``str.format`` templates); the pins follow, one per line.
_GLUE_LOCK_HEADER = (
    "# The Glue Python shell jobs' dependencies, locked: requirements/glue.in (versions there\n"
    "# or in constraints.txt) and everything it needs, resolved by pip under CPython {python}\n"
    "# together with glue-test.in (the tests run on exactly this set), by\n"
    "#   .venv/bin/python tools/package/build_artifacts.py --glue-lock\n"
    "# terraform/modules/glue-etl installs these pins with the Glue wheel (which requires\n"
    "# glue.in's at these versions); make test-glue installs them. Each hash is the wheel pip\n"
    "# picks for {platform} (Glue Python shell runs Amazon Linux 2).\n"
    "# Do not edit.\n"
)
_GLUE_TEST_LOCK_HEADER = (
    "# What make test-glue adds to requirements/glue.txt in .venv-glue: requirements/\n"
    "# glue-test.in and everything it needs beyond glue.txt, resolved together with glue.in by\n"
    "#   .venv/bin/python tools/package/build_artifacts.py --glue-lock\n"
    "# Hashes of the wheels for {platform}. Do not edit.\n"
)

#: The Lambda runtime the package is built for, and the managed layer it is paired with.
LAMBDA_PYTHON = "3.12"
LAMBDA_LAYER = "AWSSDKPandas-Python312"
#: python3.12 on Lambda is Amazon Linux 2023 (glibc 2.34): manylinux2014 wheels load there,
#: and so do manylinux_2_28 ones (the only kind duckdb publishes for recent releases).
LAMBDA_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
#: Glue Python shell jobs (glue_version 3.0, python_version 3.9) run CPython 3.9 on Amazon
#: Linux 2, glibc 2.26: a wheel for glibc 2.28 (pyarrow 21's cp39 one) does not load there.
#: pip does not widen a manylinux_2_X platform to older glibcs: every one is listed.
GLUE_PYTHON = "3.9"
GLUE_GLIBC_MINOR = 26
GLUE_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(GLUE_GLIBC_MINOR, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)

MIB = 1024 * 1024
#: Lambda quotas: 50 MiB zipped for a direct upload, 250 MiB (262,144,000 bytes) unzipped
#: for the function's code and all its layers together.
MAX_ZIPPED_MIB = 50
MAX_UNZIPPED_MIB = 250
#: The layer's unzipped size: about 169 MiB for awswrangler 3.15-3.17 (204 MiB in 3.16.1,
#: whose Arrow build bundled ICU; aws-sdk-pandas issue 3331). Measure the version you
#: deploy (download it with `aws lambda get-layer-version-by-arn`, unzip, `du -sb`) and pass
#: --layer-mib when it differs.
LAYER_MIB = 170

#: 1980-01-01T00:00:00Z: the earliest timestamp a zip entry can hold.
DEFAULT_EPOCH = 315532800

#: Shipped by the AWS SDK for pandas layer (awswrangler and its dependencies).
LAYER_PROVIDED = frozenset(
    {
        "awswrangler",
        "pandas",
        "numpy",
        "pyarrow",
        "python-dateutil",
        "pytz",
        "tzdata",
        "six",
        "typing-extensions",
        "packaging",
        "setuptools",
    }
)
#: Shipped by the Lambda Python runtime itself (the layer's build removes its own copies).
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3"})
#: Imported when present, with a fallback when not: not packaged.
OPTIONAL_IMPORTS = {
    "mypy-extensions": "sqlglot.helper imports it inside try/except ImportError",
}
#: The notebook machinery: Glue jobs run notebooks, Lambda handlers must not need it.
NOTEBOOK_MACHINERY = frozenset(
    {
        "papermill",
        "nbconvert",
        "nbformat",
        "nbclient",
        "great-expectations",
        "ipykernel",
        "ipython",
        "jupyter-client",
        "jupyter-core",
        "jupytext",
        "plotly",
    }
)


@dataclass(frozen=True)
class Resource:
    """Files the handlers read beside the package, at the same path as in the repository."""

    pattern: str
    #: Who reads them and how they are found (kept in the manifest).
    reader: str


#: Resources outside ``pipeline_lib`` that a handler reads at run time. The code finds each
#: through ``Path(__file__)``, so they sit in the zip where they sit in the repository
#: (``/var/task/params/`` beside ``/var/task/pipeline_lib/``). Once one becomes package
#: data, the wheel carries it and the build says so; then drop its line here.
#: Not included, because no handler reads them: the state machine definition (Step
#: Functions gets it from Terraform), the dashboard (served from S3 + CloudFront), the
#: ETL and quality notebooks (run by Glue).
RESOURCES = (
    Resource(
        "params/*.yaml",
        "pipeline_lib.config.params_dir(): Path(config.py).parent.parent / 'params' "
        "(PIPELINE_PARAMS_DIR overrides); every handler loads base.yaml with <env>.yaml "
        "over it via runtime_from_env()",
    ),
    Resource(
        "sql/*.sql",
        "pipeline_lib.query._loader.sql_dir(): Path(_loader.py).parent.parent.parent / 'sql'; "
        "api_handler loads every named query at cold start",
    ),
    Resource(
        "notebooks/analytics/*.py",
        "pipeline_lib.analytics.settings.notebooks_dir(): Path(settings.py).parents[2] / "
        "'notebooks/analytics'; analytics_settings() checks analytics.reports.notebooks "
        "against it",
    ),
)

#: Never packaged: bytecode, and a top-level bin/ (console scripts, which name an
#: interpreter's path in their first line).
EXCLUDED_PARTS = frozenset({"__pycache__"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
EXCLUDED_TOP = frozenset({"bin"})

#: Files copied from the repository to build the wheel (besides the package itself).
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in", "README.md")
LICENSE_PATTERNS = ("LICEN[CS]E*", "NOTICE*", "COPYING*", "AUTHORS*")


class PackagingError(Exception):
    """A build that must not produce artifacts; the message says what to change."""


@dataclass(frozen=True)
class Limits:
    """Lambda size limits, in bytes."""

    max_zipped: int = MAX_ZIPPED_MIB * MIB
    max_unzipped: int = MAX_UNZIPPED_MIB * MIB
    layer: int = LAYER_MIB * MIB


@dataclass(frozen=True)
class Artifact:
    name: str
    size: int
    sha256: str
    sha256_base64: str

    @classmethod
    def of(cls, dist: Path, path: Path) -> Artifact:
        digest = hashlib.sha256(path.read_bytes()).digest()
        return cls(
            name=path.relative_to(dist).as_posix(),
            size=path.stat().st_size,
            sha256=digest.hex(),
            sha256_base64=base64.b64encode(digest).decode("ascii"),
        )


# --------------------------------------------------------------------------- helpers


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` -> ``pyyaml``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def mib(size: int) -> str:
    return f"{size / MIB:,.1f} MiB"


def source_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` if set, else 1980-01-01 (never earlier: zip cannot hold it)."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    if not value.isdigit():
        raise PackagingError(f"SOURCE_DATE_EPOCH must be whole seconds, not {value!r}")
    return max(int(value), DEFAULT_EPOCH)


def _run(cmd: Sequence[str], *, env: Optional[Mapping[str, str]] = None, what: str) -> str:
    result = subprocess.run(
        list(cmd), capture_output=True, text=True, env=dict(env) if env else None, check=False
    )
    if result.returncode != 0:
        # This machine's pip configuration names mirror folders that may be absent.
        noise = "is ignored: it is neither a file nor a directory"
        output = "\n".join(
            line for line in (result.stdout + result.stderr).splitlines() if noise not in line
        )
        raise PackagingError(f"{what} failed (exit {result.returncode}):\n{output.strip()}")
    return result.stdout


def read_names(path: Path) -> list[str]:
    """Requirement names of a file with one name per line and ``#`` comments."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def read_pins(path: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the ``name==version`` lines of a requirements file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;\\#]+)", line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
    if not match:
        raise PackagingError('pyproject.toml has no static `version = "..."` in [project]')
    return match.group(1)


def excluded(relative: str) -> bool:
    parts = relative.split("/")
    return (
        parts[0] in EXCLUDED_TOP
        or any(part in EXCLUDED_PARTS for part in parts)
        or relative.endswith(EXCLUDED_SUFFIXES)
    )


def tree_files(tree: Path) -> list[tuple[str, Path]]:
    """``(relative posix path, path)`` of every packaged file under ``tree``, sorted."""
    files = []
    for path in tree.rglob("*"):
        relative = path.relative_to(tree).as_posix()
        if path.is_file() and not excluded(relative):
            files.append((relative, path))
    return sorted(files)


def write_deterministic_zip(tree: Path, dest: Path, epoch: int) -> int:
    """Zip ``tree`` into ``dest`` (sorted, fixed times and modes); return the unzipped bytes."""
    date_time = time.gmtime(epoch)[:6]
    unzipped = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as archive:
        for relative, path in tree_files(tree):
            info = zipfile.ZipInfo(relative, date_time=date_time)
            info.create_system = 3  # Unix, so that the mode bits below are honoured
            shared_library = relative.endswith(".so") or ".so." in relative.rsplit("/", 1)[-1]
            mode = 0o755 if shared_library else 0o644
            info.external_attr = (0o100000 | mode) << 16  # regular file
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=6)  # level 9: 2.6x the time, -0.6%
    return unzipped


# --------------------------------------------------------------------------- the wheel


def copy_project(dest: Path) -> None:
    """The files a wheel build reads, without bytecode, egg-info or build leftovers.

    Building from a copy keeps setuptools' ``build/`` and ``*.egg-info`` out of the work tree
    (a stale ``build/lib`` would put deleted modules back into the wheel) and fixes the
    permissions the wheel records.
    """
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        if (ROOT / name).is_file():
            shutil.copyfile(ROOT / name, dest / name)
    for pattern in LICENSE_PATTERNS:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file():
                shutil.copyfile(path, dest / path.name)
    shutil.copytree(
        ROOT / PACKAGE,
        dest / PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "*.egg-info"),
        copy_function=shutil.copyfile,
    )
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _installed_setuptools() -> Optional[str]:
    from importlib import metadata

    try:
        return metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return None


def glue_pyproject(text: str, requirements: Sequence[str]) -> str:
    """``pyproject.toml`` as the Glue wheel is built from it: ``requires-python`` is Glue's
    Python and ``dependencies`` are ``requirements`` (the Glue pins), instead of the
    project's pins for Python 3.11, which do not install on 3.9; no optional dependencies
    (the ``dev`` tools are pinned for 3.11 too, and a Glue job installs none)."""
    text, found = re.subn(
        r'(?m)^requires-python\s*=\s*"[^"]*"', f'requires-python = ">={GLUE_PYTHON}"', text, count=1
    )
    listed = "".join(f'    "{requirement}",\n' for requirement in requirements)
    text, replaced = re.subn(
        r"(?ms)^dependencies\s*=\s*\[.*?^\]",
        lambda _: f"dependencies = [\n{listed}]",
        text,
        count=1,
    )
    text = re.sub(r"(?ms)^\[project\.optional-dependencies\]\n.*?(?=^\[)", "", text, count=1)
    if found != 1 or replaced != 1:
        raise PackagingError(
            'pyproject.toml has no `requires-python = "..."` or no `dependencies = [` ... `]` '
            "block at the start of a line in [project]: the Glue wheel cannot get its metadata"
        )
    return text


def build_wheel(work: Path, epoch: int, *, glue: bool = False) -> Path:
    """``pip wheel --no-deps`` of a clean copy of the project; the wheel's path. ``glue``:
    the Glue wheel, with the metadata of :func:`glue_pyproject` (Python 3.9, the Glue pins)."""
    source = work / ("glue-source" if glue else "source")
    copy_project(source)
    if glue:
        pyproject = source / "pyproject.toml"
        text = glue_pyproject(pyproject.read_text(encoding="utf-8"), glue_requires_dist())
        pyproject.write_text(text, encoding="utf-8")
    out = work / ("glue-wheel" if glue else "wheel")
    cmd = _pip(
        sys.executable,
        "wheel",
        "--no-deps",
        "--wheel-dir",
        str(out),
    )
    required = re.search(
        r"setuptools==([^\"']+)", (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    )
    if required and _installed_setuptools() == required.group(1):
        # The pinned build backend is already here: no download, no isolated env to create.
        cmd.append("--no-build-isolation")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "PYTHONDONTWRITEBYTECODE": "1"}
    # The dist-info files are written during the build: their modes, recorded in the wheel,
    # follow the umask, so pin it.
    umask = os.umask(0o022)
    try:
        _run([*cmd, str(source)], env=env, what="building the project's wheel (pip wheel)")
    finally:
        os.umask(umask)
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise PackagingError(f"pip wheel wrote {len(wheels)} wheels, expected one: {wheels}")
    expected = f"ecom_pipeline-{project_version()}-py3-none-any.whl"
    if wheels[0].name != expected:
        raise PackagingError(f"the wheel is {wheels[0].name}, expected {expected} (pure Python)")
    return wheels[0]


# --------------------------------------------------------------------------- Lambda deps


def _pip_platform_args(python_version: str) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version]
    for platform in LAMBDA_PLATFORMS:
        args += ["--platform", platform]
    return args


def locked_requirements() -> dict[str, str]:
    """``{name: version}`` of requirements/lambda.txt, checked against lambda.in and the pins.

    Raises PackagingError when the lock is missing or stale (a name added to lambda.in, a
    pin moved in constraints.txt): regenerate it with ``--lock``.
    """
    fix = "run: .venv/bin/python tools/package/build_artifacts.py --lock"
    if not LAMBDA_LOCK.is_file():
        raise PackagingError(f"{LAMBDA_LOCK.relative_to(ROOT)} is missing; {fix}")
    wanted = {normalize(n) for n in read_names(LAMBDA_IN)}
    locked = read_pins(LAMBDA_LOCK)
    pins = read_pins(CONSTRAINTS)
    problems = [f"{n} is in lambda.in but not locked" for n in sorted(wanted - set(locked))]
    problems += [f"{n} is locked but not in lambda.in" for n in sorted(set(locked) - wanted)]
    problems += [
        f"{n} is locked at {v} but constraints.txt pins {pins.get(n)}"
        for n, v in sorted(locked.items())
        if pins.get(n) != v
    ]
    if problems:
        raise PackagingError(f"requirements/lambda.txt is stale: {'; '.join(problems)}; {fix}")
    return locked


def unpack_wheel(wheel: Path, target: Path) -> None:
    """Unpack ``wheel`` into ``target`` as an installer would, minus what an installer
    writes about this machine (console scripts with its interpreter's path in their first
    line, INSTALLER, a rewritten RECORD): the result depends on the wheel alone.
    ``<name>.data/purelib|platlib`` go to the root; scripts, headers and data are left out.
    """
    root = target.resolve()
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = info.filename.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            dest = target.joinpath(*parts)
            if root not in dest.resolve().parents:
                raise PackagingError(f"{wheel.name}: {info.filename} points outside the package")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(archive.read(info))


def _pip(python: str, command: str, *args: str) -> list[str]:
    """``python -m pip <command>``, quiet and never asking, then ``args``."""
    return [
        python,
        "-m",
        "pip",
        command,
        "--quiet",
        "--no-input",
        "--disable-pip-version-check",
        *args,
    ]


def install_lambda_dependencies(target: Path, python_version: str) -> None:
    """The locked wheels for the Lambda platform (``pip download``, hashes checked),
    unpacked into ``target``."""
    locked_requirements()
    with tempfile.TemporaryDirectory(prefix="lambda-wheels-") as wheels:
        cmd = _pip(
            sys.executable,
            "download",
            "--no-deps",
            "--require-hashes",
            "--dest",
            wheels,
            *_pip_platform_args(python_version),
            "-r",
            str(LAMBDA_LOCK),
        )
        _run(cmd, what=f"downloading requirements/lambda.txt for CPython {python_version} (pip)")
        for wheel in sorted(Path(wheels).glob("*.whl")):
            unpack_wheel(wheel, target)


def write_lock(python_version: str = LAMBDA_PYTHON) -> Path:
    """Regenerate requirements/lambda.txt: lambda.in's names, constraints.txt's versions and
    the SHA-256 of the wheel pip picks for the Lambda platform."""
    pins = read_pins(CONSTRAINTS)
    names = read_names(LAMBDA_IN)
    unpinned = [n for n in names if normalize(n) not in pins]
    if unpinned:
        raise PackagingError(f"not pinned in constraints.txt: {', '.join(unpinned)}")
    with tempfile.TemporaryDirectory(prefix="lambda-lock-") as tmp:
        cmd = _pip(
            sys.executable,
            "download",
            "--no-deps",
            "--dest",
            tmp,
            *_pip_platform_args(python_version),
            *(f"{n}=={pins[normalize(n)]}" for n in names),
        )
        _run(cmd, what="downloading the Lambda wheels (pip download)")
        hashes = {}
        for wheel in Path(tmp).glob("*.whl"):
            name = normalize(wheel.name.split("-", 1)[0])
            hashes[name] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lines = [
        "# The Lambda code package's dependencies, locked: generated from requirements/lambda.in",
        "# (names) and constraints.txt (versions) by",
        "#   .venv/bin/python tools/package/build_artifacts.py --lock",
        f"# Hashes of the wheels for CPython {python_version}, "
        f"{' / '.join(LAMBDA_PLATFORMS)}. Do not edit.",
    ]
    for name in sorted(names, key=normalize):
        key = normalize(name)
        lines.append(f"{name}=={pins[key]} \\\n    --hash=sha256:{hashes[key]}")
    LAMBDA_LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return LAMBDA_LOCK


# --------------------------------------------------------------------------- Glue deps


def read_requirements(path: Path) -> dict[str, tuple[str, Optional[str]]]:
    """``{normalized name: (requirement, version or None)}`` of a ``.in`` file: one
    ``name``, ``name[extra]`` or ``name==version`` a line, ``#`` comments."""
    wanted: dict[str, tuple[str, Optional[str]]] = {}
    for line in read_names(path):
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:==\s*(\S+))?", line)
        if not match:
            raise PackagingError(f"{path.name}: {line!r} is not `name` or `name==version`")
        name, extras, version = match.groups()
        wanted[normalize(name)] = (name + (extras or ""), version)
    return wanted


def glue_wanted(path: Path) -> dict[str, tuple[str, str]]:
    """``{normalized name: (requirement, version)}`` of glue.in or glue-test.in; a bare name
    takes constraints.txt's pin."""
    pins = read_pins(CONSTRAINTS)
    wanted = {}
    for key, (requirement, version) in read_requirements(path).items():
        pinned = version or pins.get(key)
        if pinned is None:
            raise PackagingError(
                f"{path.name}: {requirement} has no version: pin it there (name==version) or in "
                "constraints.txt"
            )
        wanted[key] = (requirement, pinned)
    return wanted


def glue_locked_requirements() -> dict[str, str]:
    """``{name: version}`` of requirements/glue.txt (every distribution the Glue jobs
    install), after checking glue.txt and glue-test.txt against glue.in, glue-test.in and
    constraints.txt. PackagingError when a lock is missing or stale: run ``--glue-lock``."""
    fix = "run: .venv/bin/python tools/package/build_artifacts.py --glue-lock"
    for lock in (GLUE_LOCK, GLUE_TEST_LOCK):
        if not lock.is_file():
            raise PackagingError(f"{lock.relative_to(ROOT)} is missing; {fix}")
    glue, tools = read_pins(GLUE_LOCK), read_pins(GLUE_TEST_LOCK)
    problems = [f"{n} is in glue.txt and glue-test.txt" for n in sorted(set(glue) & set(tools))]
    for source, locked in ((GLUE_IN, glue), (GLUE_TEST_IN, {**glue, **tools})):
        for key, (requirement, version) in glue_wanted(source).items():
            if key not in locked:
                problems.append(f"{requirement} ({source.name}) is not locked")
            elif locked[key] != version:
                problems.append(
                    f"{requirement} is locked at {locked[key]}, {source.name} or "
                    f"constraints.txt wants {version}"
                )
    if problems:
        raise PackagingError(f"the Glue locks are stale: {'; '.join(problems)}; {fix}")
    return glue


def glue_requires_dist() -> list[str]:
    """The Glue wheel's requirements: glue.in's distributions at their locked versions."""
    locked = glue_locked_requirements()
    return [
        f"{requirement}=={locked[key]}"
        for key, (requirement, _) in sorted(glue_wanted(GLUE_IN).items())
    ]


def _glue_pip_args() -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", GLUE_PYTHON]
    for platform in GLUE_PLATFORMS:
        args += ["--platform", platform]
    return args


#: What an interpreter must be to resolve the Glue locks: pip evaluates environment markers
#: (``python_version < "3.11"``: tomli; ``urllib3<1.27`` for botocore on 3.9...) with the
#: interpreter it runs on, whatever ``--python-version`` says.
_INTERPRETER_PROBE = (
    "import json, platform, sys; print(json.dumps([sys.implementation.name, "
    "list(sys.version_info[:2]), sys.platform, platform.machine()]))"
)


def _is_glue_python(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", _INTERPRETER_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return False
    if result.returncode != 0 or not result.stdout.strip():
        return False
    expected = ["cpython", [int(n) for n in GLUE_PYTHON.split(".")], "linux", "x86_64"]
    return bool(json.loads(result.stdout.strip().splitlines()[-1]) == expected)


def find_glue_python() -> Optional[str]:
    """A CPython 3.9 on Linux x86_64: .venv-glue's (make test-glue), ``python3.9`` on PATH
    (a pyenv shim works only where pyenv has selected 3.9), else pyenv's newest 3.9.x."""
    candidates = [str(ROOT / ".venv-glue" / "bin" / "python"), f"python{GLUE_PYTHON}"]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = pyenv_root.glob(f"versions/{GLUE_PYTHON}.*/bin/python")
    candidates += [
        str(p) for p in sorted(versions, key=lambda p: _version_key(p.parts[-3]), reverse=True)
    ]
    for candidate in candidates:
        exists = Path(candidate).is_file() if os.sep in candidate else shutil.which(candidate)
        if exists and _is_glue_python(candidate):
            return candidate
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def _resolve_for_glue(
    python: str, requirements: Sequence[str], work: Path, constraints: Optional[Path] = None
) -> dict[str, tuple[str, str, str]]:
    """``{normalized name: (name, version, sha256)}`` of the whole tree ``requirements``
    need on the Glue platform, as pip resolves it with ``python`` (``--dry-run --report``)."""
    report = work / "report.json"
    cmd = _pip(
        python,
        "install",
        "--dry-run",
        "--ignore-installed",
        "--report",
        str(report),
        "--target",
        str(work / "target"),
        *_glue_pip_args(),
        *requirements,
    )
    if constraints is not None:
        cmd += ["-c", str(constraints)]
    _run(cmd, what=f"resolving {', '.join(requirements)} for CPython {GLUE_PYTHON} (pip)")
    resolved = {}
    for item in json.loads(report.read_text(encoding="utf-8"))["install"]:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        info = item["download_info"]
        sha256 = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        if not sha256:  # an index without hashes: hash the wheel pip picks
            folder = work / "hash" / normalize(name)
            _run(
                _pip(
                    python,
                    "download",
                    "--no-deps",
                    "--dest",
                    str(folder),
                    *_glue_pip_args(),
                    f"{name}=={version}",
                ),
                what=f"downloading {name}=={version} (pip)",
            )
            (wheel,) = folder.glob("*.whl")
            sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
        resolved[normalize(name)] = (name, version, sha256)
    return resolved


def _lock_lines(entries: Iterable[tuple[str, str, str]]) -> list[str]:
    ordered = sorted(entries, key=lambda entry: normalize(entry[0]))
    return [
        f"{name}=={version} \\\n    --hash=sha256:{sha256}" for name, version, sha256 in ordered
    ]


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` holds it already: an unchanged lock keeps its time, so
    make does not rebuild .venv-glue for it."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_glue_locks(python: Optional[str] = None) -> list[Path]:
    """Regenerate requirements/glue.txt (glue.in's whole tree) and glue-test.txt (what
    glue-test.in adds to it), resolved by pip under ``python``, a CPython 3.9."""
    python = python or find_glue_python()
    if python is None or not _is_glue_python(python):
        raise PackagingError(
            f"--glue-lock needs CPython {GLUE_PYTHON} on Linux x86_64 to resolve with (pip "
            "evaluates environment markers with the interpreter it runs on): install it "
            f"(`pyenv install {GLUE_PYTHON}`) or name it with --glue-python"
            + (f"; {python} is not one" if python else "")
        )
    glue_in = [f"{r}=={v}" for r, v in glue_wanted(GLUE_IN).values()]
    tools_in = [f"{r}=={v}" for r, v in glue_wanted(GLUE_TEST_IN).values()]
    with tempfile.TemporaryDirectory(prefix="glue-lock-") as tmp:
        work = Path(tmp)
        # Together first, so that the tests run on exactly the Glue set (a test tool may hold
        # a shared dependency back); then glue.in alone at those versions: its own tree.
        (work / "both").mkdir()
        both = _resolve_for_glue(python, glue_in + tools_in, work / "both")
        constraints = work / "constraints.txt"
        constraints.write_text(
            "".join(f"{name}=={version}\n" for name, version, _ in both.values()), encoding="utf-8"
        )
        (work / "glue").mkdir()
        glue = _resolve_for_glue(python, glue_in, work / "glue", constraints)
    tools = {key: entry for key, entry in both.items() if key not in glue}
    platform = f"CPython {GLUE_PYTHON}, manylinux x86_64, glibc <= 2.{GLUE_GLIBC_MINOR}"
    _write_if_changed(
        GLUE_LOCK,
        _GLUE_LOCK_HEADER.format(python=GLUE_PYTHON, platform=platform)
        + "".join(f"{line}\n" for line in _lock_lines(glue.values())),
    )
    _write_if_changed(
        GLUE_TEST_LOCK,
        _GLUE_TEST_LOCK_HEADER.format(platform=platform)
        + "".join(f"{line}\n" for line in _lock_lines(tools.values())),
    )
    glue_locked_requirements()  # what was written agrees with the .in files
    return [GLUE_LOCK, GLUE_TEST_LOCK]


def write_glue_wheel(out: Path) -> Path:
    """Only the Glue wheel, into ``out`` (replacing an earlier ecom_pipeline wheel there):
    what make test-glue installs in .venv-glue."""
    with tempfile.TemporaryDirectory(prefix="ecom-glue-wheel-") as tmp:
        wheel = build_wheel(Path(tmp), source_epoch(), glue=True)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("ecom_pipeline-*.whl"):
            old.unlink()
        target = out / wheel.name
        shutil.copyfile(wheel, target)
    return target


# --------------------------------------------------------------------------- closure

_CLOSURE_PROBE = r"""
import importlib, json, sys
from importlib.metadata import packages_distributions

# Only modules that an installed distribution owns: not the standard library, builtins or
# the runtime modules Cython extensions register; pipeline_lib is the package itself.
owners = packages_distributions()
seen = set(sys.modules)
closure = {}
for handler in sys.argv[1:]:
    importlib.import_module(handler)
    new = sorted({name.partition(".")[0] for name in set(sys.modules) - seen})
    seen = set(sys.modules)
    for top in new:
        if top == "pipeline_lib" or top not in owners:
            continue
        for dist in owners[top]:
            closure.setdefault(dist, {"modules": [], "first_imported_by": handler})
            closure[dist]["modules"].append(top)
print(json.dumps(closure))
"""


def handler_modules(package_root: Path) -> list[str]:
    """``pipeline_lib.handlers.<module>`` for every public module of the handlers package."""
    folder = package_root / HANDLERS_DIR
    names = sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))
    if not names:
        raise PackagingError(f"no handler module in {folder}")
    return [f"{PACKAGE}.handlers.{name}" for name in names]


def import_closure(modules: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The third-party distributions importing ``modules`` loads, in a fresh interpreter.

    ``{distribution: {"modules": [top-level modules], "first_imported_by": handler}}``,
    measured with this environment's packages (where ``pipeline_lib`` is installed).
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = _run(
        [sys.executable, "-c", _CLOSURE_PROBE, *modules],
        env=env,
        what="importing the handlers to find their import closure",
    )
    closure: dict[str, dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return {normalize(name): info for name, info in closure.items()}


def check_closure(closure: Mapping[str, Mapping[str, Any]], bundled: Iterable[str]) -> list[str]:
    """Fail on notebook machinery or a missing distribution; return the unused bundled ones."""
    heavy = sorted(set(closure) & NOTEBOOK_MACHINERY)
    if heavy:
        listed = ", ".join(
            f"{d} (first imported by {closure[d]['first_imported_by']})" for d in heavy
        )
        raise PackagingError(
            f"the handlers import notebook machinery at module level: {listed}. Lambda "
            "handlers do not run notebooks: move that import inside the function that "
            "needs it (or out of the handlers' import path) instead of packaging it"
        )
    provided = LAYER_PROVIDED | RUNTIME_PROVIDED | set(map(normalize, OPTIONAL_IMPORTS))
    bundled = {normalize(b) for b in bundled}
    missing = sorted(set(closure) - provided - bundled)
    if missing:
        listed = ", ".join(
            f"{d} (module {'/'.join(closure[d]['modules'])}, first imported by "
            f"{closure[d]['first_imported_by']})"
            for d in missing
        )
        raise PackagingError(
            f"the handlers import {listed}, which neither the {LAMBDA_LAYER} layer nor the "
            "Lambda runtime provides: add it to requirements/lambda.in (with the module that "
            "needs it), pin it in constraints.txt, then run --lock"
        )
    return sorted(bundled - set(closure))


# --------------------------------------------------------------------------- resources


def add_resources(tree: Path) -> list[str]:
    """Copy :data:`RESOURCES` into ``tree``; return the folders added."""
    added = []
    for resource in RESOURCES:
        files = sorted(p for p in ROOT.glob(resource.pattern) if p.is_file())
        if files:
            for path in files:
                relative = path.relative_to(ROOT)
                (tree / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, tree / relative)
            added.append(str(Path(resource.pattern).parent.as_posix()))
            continue
        if any((tree / PACKAGE).glob(f"**/{resource.pattern}")):
            print(f"  {resource.pattern}: now package data (in the wheel); drop it from RESOURCES")
            continue
        raise PackagingError(
            f"no file matches {resource.pattern} in the repository or the package; "
            f"{resource.reader}. Restore it, or update RESOURCES in {Path(__file__).name}"
        )
    return added


# --------------------------------------------------------------------------- sizes


def largest_entries(tree: Path, count: int = 5) -> list[tuple[str, int]]:
    """The biggest top-level entries of ``tree`` (bytes, files under them summed)."""
    sizes: dict[str, int] = {}
    for relative, path in tree_files(tree):
        top = relative.split("/", 1)[0]
        sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:count]


def check_unzipped(unzipped: int, limits: Limits, largest: Sequence[tuple[str, int]]) -> None:
    """PackagingError when the function's code plus the layer exceed the unzipped limit."""
    total = unzipped + limits.layer
    if total <= limits.max_unzipped:
        return
    biggest = ", ".join(f"{name} {mib(size)}" for name, size in largest)
    raise PackagingError(
        f"the Lambda package is too big unzipped: {mib(unzipped)} of code + {mib(limits.layer)} "
        f"for the {LAMBDA_LAYER} layer = {mib(total)}, over Lambda's {mib(limits.max_unzipped)} "
        f"limit for a function and its layers (largest entries: {biggest}). Make a module-level "
        "import lazy so that the handlers stop needing a dependency, or deploy the handlers as "
        "a container image (10 GB limit)"
    )


def check_zipped(zipped: int, limits: Limits) -> None:
    """PackagingError when the zip is over the direct-upload limit."""
    if zipped > limits.max_zipped:
        raise PackagingError(
            f"the Lambda zip is {mib(zipped)}, over the {mib(limits.max_zipped)} limit of a "
            "direct upload: make the package smaller (see the largest entries with "
            "`unzip -l`), or upload it to S3 and point the functions at it (the unzipped "
            "limit still applies)"
        )


# --------------------------------------------------------------------------- the build


@dataclass(frozen=True)
class BuildResult:
    artifacts: list[Artifact]
    manifest: dict[str, Any]
    seconds: float


def find_glue_runner() -> Optional[Path]:
    """The repository's one ``glue_runner.py``, or None while it does not exist yet."""
    skip = {
        ".git",
        ".venv",
        ".venv-checkov",
        ".venv-glue",
        ".terraform",
        "node_modules",
        "dist",
        "build",
        "lake",
        "data",
        "reports",
        "__pycache__",
    }
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders if d not in skip)
        if GLUE_RUNNER in files:
            found.append(Path(folder) / GLUE_RUNNER)
    if len(found) > 1:
        listed = ", ".join(str(p.relative_to(ROOT)) for p in found)
        raise PackagingError(f"several {GLUE_RUNNER} files, expected one: {listed}")
    return found[0] if found else None


def build(
    out: Path,
    *,
    limits: Limits = Limits(),
    python_version: str = LAMBDA_PYTHON,
    check_imports: bool = True,
) -> BuildResult:
    """Build every artifact into ``out`` (replacing the previous ones only on success)."""
    started = time.monotonic()
    epoch = source_epoch()
    with tempfile.TemporaryDirectory(prefix="ecom-package-") as tmp:
        work = Path(tmp)
        staged = work / "dist"
        wheel = build_wheel(work, epoch)
        print(f"  wheel: {wheel.name}")
        glue_locked = glue_locked_requirements()
        glue_wheel = build_wheel(work, epoch, glue=True)
        print(f"  Glue wheel: {glue_wheel.name} (Python {GLUE_PYTHON}, requirements/glue.txt)")

        tree = work / "lambda"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tree)
        resources = add_resources(tree)
        deps = work / "deps"
        install_lambda_dependencies(deps, python_version)
        for relative, path in tree_files(deps):
            if (tree / relative).exists():
                raise PackagingError(f"{relative} is in the project and in a dependency")
            (tree / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), tree / relative)
        locked = locked_requirements()
        handlers = handler_modules(tree)
        if check_imports:
            unused = check_closure(import_closure(handlers), locked)
            for name in unused:
                print(f"  note: {name} is bundled but no handler imports it at module level")

        unzipped = sum(path.stat().st_size for _, path in tree_files(tree))
        check_unzipped(unzipped, limits, largest_entries(tree))
        zip_path = staged / LAMBDA_ZIP
        write_deterministic_zip(tree, zip_path, epoch)
        check_zipped(zip_path.stat().st_size, limits)

        glue = staged / GLUE_DIR
        glue.mkdir(parents=True)
        shutil.copyfile(glue_wheel, glue / glue_wheel.name)
        resources_tree = work / "resources"
        for pattern in GLUE_RESOURCE_PATTERNS:
            for path in sorted(ROOT.glob(pattern)):
                target = resources_tree / path.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        write_deterministic_zip(resources_tree, glue / GLUE_RESOURCES_ZIP, epoch)
        runner = find_glue_runner()
        if runner is None:
            print(f"  note: no {GLUE_RUNNER} in the repository yet: {GLUE_DIR}/ has the wheel only")
        else:
            shutil.copyfile(runner, glue / GLUE_RUNNER)

        artifacts = [Artifact.of(staged, p) for p in sorted(staged.rglob("*")) if p.is_file()]
        manifest = {
            "project": "ecom-pipeline",
            "version": project_version(),
            "artifacts": [vars(a) for a in artifacts],
            "lambda": {
                "package": LAMBDA_ZIP,
                "runtime": f"python{python_version}",
                "architecture": "x86_64",
                "layer": LAMBDA_LAYER,
                "handlers": {m.rsplit(".", 1)[-1]: f"{m}.handler" for m in handlers},
                "unzipped_bytes": unzipped,
                "dependencies": dict(sorted(locked.items())),
                "resources": resources,
            },
            "glue": {
                "wheel": f"{GLUE_DIR}/{glue_wheel.name}",
                "runtime": f"python{GLUE_PYTHON}",
                "requires_python": f">={GLUE_PYTHON}",
                "requires_dist": glue_requires_dist(),
                # What --additional-python-modules installs with the wheel (glue-etl).
                "dependencies": dict(sorted(glue_locked.items())),
                "runner": f"{GLUE_DIR}/{GLUE_RUNNER}" if runner else None,
                "runner_source": runner.relative_to(ROOT).as_posix() if runner else None,
                "resources": f"{GLUE_DIR}/{GLUE_RESOURCES_ZIP}",
            },
        }
        (staged / MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

        out.mkdir(parents=True, exist_ok=True)
        for name in (Path(LAMBDA_ZIP).parts[0], GLUE_DIR, MANIFEST):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            shutil.move(str(staged / name), target)
    return BuildResult(artifacts, manifest, time.monotonic() - started)


def verify(dist: Path) -> list[str]:
    """What in ``dist`` disagrees with its manifest (missing files, sizes, SHA-256); empty
    when everything matches. Standard library only: a deployment runs it before using dist/.
    """
    manifest_path = dist / MANIFEST
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    for listed in manifest.get("artifacts", []):
        path = dist / listed["name"]
        if not path.is_file():
            problems.append(f"{listed['name']}: missing")
            continue
        actual = Artifact.of(dist, path)
        for field in ("size", "sha256", "sha256_base64"):
            if getattr(actual, field) != listed[field]:
                problems.append(
                    f"{listed['name']}: {field} is {getattr(actual, field)}, "
                    f"the manifest says {listed[field]}"
                )
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--layer-mib",
        type=float,
        default=LAYER_MIB,
        help=f"unzipped size of the {LAMBDA_LAYER} layer (default {LAYER_MIB})",
    )
    parser.add_argument("--max-zipped-mib", type=float, default=MAX_ZIPPED_MIB)
    parser.add_argument("--max-unzipped-mib", type=float, default=MAX_UNZIPPED_MIB)
    parser.add_argument(
        "--python-version",
        default=LAMBDA_PYTHON,
        help="the Lambda runtime's Python (wheels are picked for it)",
    )
    parser.add_argument(
        "--skip-import-check",
        action="store_true",
        help="do not import the handlers to check their dependencies",
    )
    parser.add_argument(
        "--lock", action="store_true", help="regenerate requirements/lambda.txt, then exit"
    )
    parser.add_argument(
        "--glue-lock",
        action="store_true",
        help="regenerate requirements/glue.txt and glue-test.txt (needs CPython 3.9), then exit",
    )
    parser.add_argument(
        "--glue-python",
        metavar="PYTHON",
        help="the CPython 3.9 that --glue-lock resolves with (default: .venv-glue's, "
        "python3.9 on PATH, else pyenv's newest 3.9)",
    )
    parser.add_argument(
        "--glue-wheel",
        type=Path,
        metavar="DIR",
        help="build only the Glue wheel into DIR, then exit",
    )
    parser.add_argument(
        "--verify",
        type=Path,
        metavar="DIST",
        help="check DIST against its manifest.json, then exit",
    )
    args = parser.parse_args(argv)
    if args.verify:
        problems = verify(args.verify)
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        if not problems:
            print(f"{args.verify}: every artifact matches manifest.json")
        return 1 if problems else 0
    try:
        if args.lock:
            print(f"wrote {write_lock(args.python_version).relative_to(ROOT)}")
            return 0
        if args.glue_lock:
            for path in write_glue_locks(args.glue_python):
                print(f"wrote {path.relative_to(ROOT)}")
            return 0
        if args.glue_wheel:
            print(f"wrote {write_glue_wheel(args.glue_wheel)}")
            return 0
        limits = Limits(
            max_zipped=int(args.max_zipped_mib * MIB),
            max_unzipped=int(args.max_unzipped_mib * MIB),
            layer=int(args.layer_mib * MIB),
        )
        print(f"building {args.out}/ ...")
        result = build(
            args.out,
            limits=limits,
            python_version=args.python_version,
            check_imports=not args.skip_import_check,
        )
    except PackagingError as exc:
        print(f"make package: {exc}", file=sys.stderr)
        return 1
    for artifact in result.artifacts:
        print(f"  {artifact.name:<48} {mib(artifact.size):>10}  sha256 {artifact.sha256[:16]}")
    unzipped = result.manifest["lambda"]["unzipped_bytes"]
    print(
        f"  Lambda code unzipped {mib(unzipped)} + layer {mib(limits.layer)} = "
        f"{mib(unzipped + limits.layer)} of {mib(limits.max_unzipped)}"
    )
    print(f"built in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
