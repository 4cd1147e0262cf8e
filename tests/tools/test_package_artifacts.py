"""`make package`: the Lambda zip, the Glue wheel and the manifest (tools/package).

The module builds dist/ twice into temporary folders (about 10 s each; wheels come from
pip's cache after the first run) and checks that both builds are the same bytes, that the
zip holds every handler with what it reads, and that the size guard stops a build.

What the import test proves: the zip, unpacked, imports every handler and answers a real
``file_router`` invocation under CPython 3.12 (the Lambda runtime's version) with nothing
on ``sys.path`` but the zip, a stand-in for the AWS SDK for pandas layer (pandas, numpy,
pyarrow and their pure-Python dependencies, at this project's pins, installed for
CPython 3.12 manylinux) and the standard library. It does not prove the managed layer's
own versions agree with our pins, nor Amazon Linux's glibc (the wheels are manylinux).
It is skipped when no CPython 3.12 is installed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "tools" / "package" / "build_artifacts.py"
LAMBDA_ZIP = "lambda/ecom-pipeline-lambda.zip"

pytestmark = pytest.mark.slow


def _load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_artifacts", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


ba = _load_build_module()


def _build(out: Path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
        umask=umask,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two independent builds of the same tree, the second under another umask (it skips
    the import check, which reads but writes nothing)."""
    first = tmp_path_factory.mktemp("dist-a")
    second = tmp_path_factory.mktemp("dist-b")
    for out, extra, umask in ((first, (), 0o022), (second, ("--skip-import-check",), 0o077)):
        result = _build(out, *extra, umask=umask)
        assert result.returncode == 0, result.stdout + result.stderr
    return first, second


@pytest.fixture(scope="module")
def dist(builds: tuple[Path, Path]) -> Path:
    return builds[0]


@pytest.fixture(scope="module")
def manifest(dist: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def lambda_zip(dist: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(dist / LAMBDA_ZIP)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_are_the_same_bytes(builds: tuple[Path, Path]) -> None:
    first, second = (_files(b) for b in builds)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_the_manifest_describes_each_artifact(dist: Path, manifest: dict[str, Any]) -> None:
    listed = {a["name"]: a for a in manifest["artifacts"]}
    on_disk = {name for name in _files(dist) if name != "manifest.json"}
    assert set(listed) == on_disk
    for name, artifact in listed.items():
        data = (dist / name).read_bytes()
        digest = hashlib.sha256(data).digest()
        assert artifact["size"] == len(data)
        assert artifact["sha256"] == digest.hex()
        # Terraform's filebase64sha256() / source_code_hash
        assert artifact["sha256_base64"] == base64.b64encode(digest).decode()


def test_zip_entries_are_sorted_with_fixed_times_and_modes(lambda_zip: zipfile.ZipFile) -> None:
    infos = lambda_zip.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    for info in infos:
        mode = (info.external_attr >> 16) & 0o777
        assert mode == (0o755 if info.filename.endswith(".so") else 0o644), info.filename
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.startswith("bin/") or n.endswith("/")]


def test_zip_holds_every_handler_and_the_manifest_names_them(
    lambda_zip: zipfile.ZipFile, manifest: dict[str, Any]
) -> None:
    source = sorted(
        p.stem
        for p in (ROOT / "pipeline_lib" / "handlers").glob("*.py")
        if not p.name.startswith("_")
    )
    names = set(lambda_zip.namelist())
    assert {f"pipeline_lib/handlers/{m}.py" for m in source} <= names
    assert manifest["lambda"]["handlers"] == {
        m: f"pipeline_lib.handlers.{m}.handler" for m in source
    }
    packaged = {n for n in names if n.startswith("pipeline_lib/") and n.endswith(".py")}
    in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline_lib").rglob("*.py")}
    assert packaged == in_repo


def test_zip_holds_the_resources_where_the_code_looks(lambda_zip: zipfile.ZipFile) -> None:
    names = set(lambda_zip.namelist())
    for resource in ba.RESOURCES:
        expected = {p.relative_to(ROOT).as_posix() for p in ROOT.glob(resource.pattern)}
        assert expected, resource.pattern
        assert expected <= names, resource.pattern
    # the project's metadata, so importlib.metadata.version("ecom-pipeline") works there
    assert any(n.startswith("ecom_pipeline-") and n.endswith(".dist-info/METADATA") for n in names)


def test_zip_bundles_the_locked_dependencies_and_no_layer_package(
    lambda_zip: zipfile.ZipFile, manifest: dict[str, Any]
) -> None:
    dist_infos = {n.split("/", 1)[0] for n in lambda_zip.namelist() if ".dist-info/" in n}
    bundled = {ba.normalize(d.split("-", 1)[0]) for d in dist_infos} - {"ecom-pipeline"}
    assert bundled == set(manifest["lambda"]["dependencies"])
    assert bundled.isdisjoint(ba.LAYER_PROVIDED | ba.RUNTIME_PROVIDED | ba.NOTEBOOK_MACHINERY)
    # the C extensions are the Lambda runtime's (CPython 3.12), not this venv's
    extensions = [n for n in lambda_zip.namelist() if n.endswith(".so")]
    assert extensions
    assert all("cpython-312" in n or "abi3" in n for n in extensions), extensions


def test_glue_folder_has_the_wheel_and_the_runner_when_it_exists(
    dist: Path, manifest: dict[str, Any]
) -> None:
    version = manifest["version"]
    wheel = dist / "glue" / f"ecom_pipeline-{version}-py3-none-any.whl"
    assert wheel.is_file()
    with zipfile.ZipFile(wheel) as archive:
        assert "pipeline_lib/handlers/file_router.py" in archive.namelist()
    runner = ba.find_glue_runner()
    assert (dist / "glue" / "glue_runner.py").is_file() == (runner is not None)
    if runner is not None:
        assert (dist / "glue" / "glue_runner.py").read_bytes() == runner.read_bytes()


def test_the_glue_wheel_is_for_python_39_with_the_glue_lock(
    dist: Path, manifest: dict[str, Any]
) -> None:
    """Glue pip-installs the wheel with the lock's pins: its metadata must ask for Python 3.9
    and for glue.in's pins at the lock's versions, not for the project's 3.11 pins."""
    wheel = dist / manifest["glue"]["wheel"]
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode("utf-8")
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "Requires-Python: >=3.9" in headers
    requires = [h.split(": ", 1)[1] for h in headers if h.startswith("Requires-Dist: ")]
    locked = ba.read_pins(ba.GLUE_LOCK)
    wanted = ba.read_requirements(ba.GLUE_IN)
    assert sorted(ba.normalize(r.split("==")[0]) for r in requires) == sorted(wanted)
    for requirement in requires:
        name, version = requirement.split("==")
        assert locked[ba.normalize(name)] == version, requirement
    assert not [h for h in headers if h.startswith("Provides-Extra")]
    glue = manifest["glue"]
    assert glue["runtime"] == "python3.9" and glue["requires_python"] == ">=3.9"
    assert glue["requires_dist"] == requires
    assert glue["dependencies"] == dict(sorted(locked.items()))


def test_the_glue_locks_agree_with_their_in_files_and_hash_every_pin() -> None:
    locked = ba.glue_locked_requirements()
    assert {"pandas", "pyarrow", "papermill", "great-expectations"} <= set(locked)
    for lock in (ba.GLUE_LOCK, ba.GLUE_TEST_LOCK):
        text = lock.read_text(encoding="utf-8")
        assert text.count("==") == text.count("--hash=sha256:") == len(ba.read_pins(lock))


def test_the_glue_wheel_metadata_replaces_the_311_pins() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    glue = ba.glue_pyproject(text, ["pandas==2.3.3", "numpy==2.0.2"])
    assert 'requires-python = ">=3.9"' in glue
    assert 'dependencies = [\n    "pandas==2.3.3",\n    "numpy==2.0.2",\n]' in glue
    assert "[project.optional-dependencies]" not in glue
    assert "[project.scripts]" in glue and "[tool.ruff]" in glue  # the rest is kept
    with pytest.raises(ba.PackagingError, match="Glue wheel"):
        ba.glue_pyproject("[project]\nname = 'x'\n", [])


def test_the_lock_agrees_with_lambda_in_and_the_constraints() -> None:
    locked = ba.locked_requirements()
    constraints = ba.read_pins(ba.CONSTRAINTS)
    assert locked
    assert all(constraints[name] == version for name, version in locked.items())


# ------------------------------------------------------------------------ size guard


def test_size_guard_refuses_code_plus_layer_over_250_mib() -> None:
    limits = ba.Limits(layer=204 * ba.MIB)  # the 3.16.1 layer, with ICU bundled
    with pytest.raises(ba.PackagingError, match="too big unzipped") as caught:
        ba.check_unzipped(75 * ba.MIB, limits, [("_duckdb.abi3.so", 66 * ba.MIB)])
    message = str(caught.value)
    assert "250.0 MiB" in message and "AWSSDKPandas-Python312" in message
    assert "_duckdb.abi3.so 66.0 MiB" in message
    ba.check_unzipped(75 * ba.MIB, ba.Limits(), [])  # 75 + 170 fits


def test_size_guard_refuses_a_zip_over_the_direct_upload_limit() -> None:
    with pytest.raises(ba.PackagingError, match="direct upload"):
        ba.check_zipped(51 * ba.MIB, ba.Limits())
    ba.check_zipped(50 * ba.MIB, ba.Limits())


def test_a_build_over_the_limit_fails_with_the_reason_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = _build(out, "--layer-mib", "204", "--skip-import-check")
    assert result.returncode == 1
    assert "too big unzipped" in result.stderr
    assert "204.0 MiB for the AWSSDKPandas-Python312 layer" in result.stderr
    assert not out.exists()


def test_closure_check_names_what_is_missing_and_refuses_notebook_machinery() -> None:
    closure = {
        "pandas": {"modules": ["pandas"], "first_imported_by": "h.a"},
        "requests": {"modules": ["requests"], "first_imported_by": "h.b"},
        "mypy-extensions": {"modules": ["mypy_extensions"], "first_imported_by": "h.a"},
    }
    with pytest.raises(ba.PackagingError, match=r"requests \(module requests, first imported"):
        ba.check_closure(closure, ["duckdb"])
    assert ba.check_closure({k: v for k, v in closure.items() if k != "requests"}, ["duckdb"]) == [
        "duckdb"
    ]
    heavy = {"papermill": {"modules": ["papermill"], "first_imported_by": "h.c"}}
    with pytest.raises(ba.PackagingError, match="notebook machinery at module level: papermill"):
        ba.check_closure(heavy, [])


# ------------------------------------------------------------------------ imports


def _python_312() -> Optional[str]:
    candidates = [shutil.which("python3.12")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        (str(p) for p in pyenv.glob("versions/3.12*/bin/python3.12")), reverse=True
    )
    check = "import sys; sys.exit(sys.version_info[:2] != (3, 12))"
    for candidate in candidates:
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", check], capture_output=True, check=False
            ).returncode
            == 0
        ):
            return candidate
    return None


#: What the layer and the runtime give a handler at import time, installed for CPython 3.12.
LAYER_STAND_IN = ("pandas", "numpy", "pyarrow", "python-dateutil", "pytz", "six", "tzdata")

IMPORT_PROBE = r"""
import importlib, importlib.metadata, json, os, sys
task, layer, lake = sys.argv[1:4]
sys.path[:0] = [task, layer]
report = {"handlers": {}}
for name in sys.argv[4:]:
    report["handlers"][name] = callable(getattr(importlib.import_module(name), "handler", None))
from pipeline_lib.config import load_settings
from pipeline_lib.query import load_queries
report["envs"] = [load_settings(env).env for env in ("local", "dev", "staging", "prod")]
report["queries"] = len(load_queries())
report["version"] = importlib.metadata.version("ecom-pipeline")
os.environ.update({"PIPELINE_ENV": "local", "PIPELINE_LAKE": lake})
from pipeline_lib.handlers import file_router
event = {"key": "transactions/ingest_date=2026-11-28/t.csv", "size_bytes": 10}
report["route"] = file_router.handler(event, None)["route"]
report["outside"] = sorted(
    f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values()))
    if f and not f.startswith((task, layer, sys.base_prefix))
)
report["notebook_machinery"] = sorted(
    n for n in ("papermill", "nbconvert", "nbformat", "great_expectations", "IPython", "plotly")
    if n in sys.modules
)
report["pipeline_lib"] = sys.modules["pipeline_lib"].__file__
print(json.dumps(report))
"""


def test_every_handler_imports_from_the_zip_on_python_312(
    lambda_zip: zipfile.ZipFile, manifest: dict[str, Any], tmp_path: Path
) -> None:
    python = _python_312()
    if python is None:
        pytest.skip("no CPython 3.12 here (the Lambda runtime's version) to import the zip with")
    task = tmp_path / "task"
    lambda_zip.extractall(task)
    layer = tmp_path / "layer"
    install = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--target",
        str(layer),
        "--no-deps",
        "--no-compile",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        "3.12",
        "--platform",
        "manylinux2014_x86_64",
        "--platform",
        "manylinux_2_28_x86_64",
        "-c",
        str(ba.CONSTRAINTS),
        *LAYER_STAND_IN,
    ]
    subprocess.run(install, check=True, capture_output=True, timeout=600)
    handlers = sorted(manifest["lambda"]["handlers"].values())
    modules = [h.rsplit(".", 1)[0] for h in handlers]
    result = subprocess.run(
        [python, "-S", "-c", IMPORT_PROBE, str(task), str(layer), str(tmp_path / "lake"), *modules],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["handlers"] == dict.fromkeys(modules, True)
    assert report["pipeline_lib"].startswith(str(task))
    assert report["envs"] == ["local", "dev", "staging", "prod"]
    assert report["queries"] == len(list((ROOT / "sql").glob("*.sql")))
    assert report["version"] == manifest["version"]
    assert report["route"] == "lightweight"
    assert report["outside"] == []
    assert report["notebook_machinery"] == []
