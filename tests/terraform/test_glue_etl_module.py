"""The glue-etl module's job arguments, as Terraform renders them, run by the Glue runner.

Terraform passes every job ``--notebook``; the runner (pipeline_lib.orchestration.glue_job)
unpacks ``resources.zip`` (tools/package/build_artifacts.py) and resolves ``--notebook``
against its ``notebooks/`` folder. The test takes the arguments from the module's own plan
(``terraform test -verbose``: mocked AWS provider, plan only, providers from the filesystem
mirror) and resolves each with the runner's code against a resources.zip laid out as the
package tool lays it out. Skipped when terraform is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pipeline_lib.orchestration import glue_job
from tests.terraform._terraform import run_terraform

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULE = TERRAFORM / "modules" / "glue-etl"
TEST_FILE = "tests/glue_etl.tftest.hcl"
FIRST_RUN = "one_python_shell_job_per_notebook_of_the_repository"
CLI_CONFIG = TERRAFORM / ".terraformrc"
BUILD_SCRIPT = ROOT / "tools" / "package" / "build_artifacts.py"

_ARGUMENT = re.compile(r'^\s*[+~]?\s*"--notebook"\s*=\s*"([^"]+)"', re.MULTILINE)


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_artifacts_for_glue", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def rendered_notebook_arguments(verbose_output: str) -> list[str]:
    """The ``--notebook`` values of the first run block's plan in ``terraform test -verbose``."""
    start = verbose_output.find(f'run "{FIRST_RUN}"')
    assert start >= 0, verbose_output[-3000:]
    end = verbose_output.find('run "', start + 1)
    plan = verbose_output[start : end if end > 0 else None]
    return _ARGUMENT.findall(plan)


@pytest.fixture(scope="module")
def terraform_notebook_arguments(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed: the glue-etl module's plan not rendered")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
        "TF_IN_AUTOMATION": "1",
        # Providers go to a temporary directory, not the module's .terraform (which
        # `make lint-infra` may be using); the lock file is only read.
        "TF_DATA_DIR": str(tmp_path_factory.mktemp("tf-data")),
    }
    init = run_terraform(MODULE, ["init", "-backend=false", "-input=false", "-no-color"], env)
    assert init.returncode == 0, init.stdout + init.stderr
    test = run_terraform(MODULE, ["test", "-no-color", "-verbose", f"-filter={TEST_FILE}"], env)
    assert test.returncode == 0, test.stdout[-4000:] + test.stderr
    arguments = rendered_notebook_arguments(test.stdout)
    assert len(arguments) >= 6, test.stdout[-4000:]
    return arguments


class _LocalS3:
    """download_file of the one object the runner fetches: resources.zip."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive

    def download_file(self, bucket: str, key: str, filename: str) -> None:
        assert (bucket, key) == ("artifacts", "glue/0.1.0/resources.zip")
        shutil.copyfile(self.archive, filename)


def test_every_rendered_notebook_resolves_in_the_unpacked_resources_zip(
    terraform_notebook_arguments: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = _build_module()
    tree = tmp_path / "tree"
    for pattern in build.GLUE_RESOURCE_PATTERNS:
        for path in sorted(ROOT.glob(pattern)):
            target = tree / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    archive = tmp_path / build.GLUE_RESOURCES_ZIP
    build.write_deterministic_zip(tree, archive, build.DEFAULT_EPOCH)

    job = tmp_path / "job"
    job.mkdir()
    uri = glue_job.resources_uri({"params_uri": "s3://artifacts/glue/0.1.0/params/dev.yaml"})
    assert uri is not None
    unpacked = glue_job.unpack_resources(uri, job, _LocalS3(archive))
    for variable, folder in unpacked.items():
        monkeypatch.setenv(variable, folder)
    assert Path(unpacked["PIPELINE_NOTEBOOKS_DIR"]) == job / "resources" / "notebooks"

    for notebook in terraform_notebook_arguments:
        path = glue_job.notebook_path(notebook)
        assert path.is_relative_to(job / "resources" / "notebooks"), (notebook, path)
        assert path.read_bytes() == (ROOT / "notebooks" / notebook).read_bytes()


def test_a_repository_path_is_not_a_notebook_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form the module used to pass: joined onto the notebooks folder, it is missing."""
    notebooks = tmp_path / "notebooks"
    (notebooks / "etl").mkdir(parents=True)
    (notebooks / "etl" / "transaction_etl.py").write_text("# a notebook\n", encoding="utf-8")
    monkeypatch.setenv("PIPELINE_NOTEBOOKS_DIR", str(notebooks))
    assert glue_job.notebook_path("etl/transaction_etl") == notebooks / "etl/transaction_etl.py"
    with pytest.raises(glue_job.ConfigError, match="relative to the notebooks folder"):
        glue_job.notebook_path("notebooks/etl/transaction_etl.py")
