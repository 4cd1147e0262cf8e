"""The environment roots, offline: one shape for dev, staging and prod, values in tfvars.

Quick text checks that run in every ``pytest`` (``make lint-infra`` validates the roots with
terraform, ``make test-infra`` applies dev to a moto server).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ROOT / "terraform" / "environments"
NAMES = ("dev", "staging", "prod")
SHARED_FILES = ("main.tf", "variables.tf", "outputs.tf", "providers.tf", "versions.tf")
PIPELINE_OUTPUTS = ROOT / "terraform" / "modules" / "pipeline" / "outputs.tf"
DEPLOY_WORKFLOW = ROOT / ".github" / "workflows" / "deploy-environment.yml"

_BLOCK_NAME = r'(?m)^{kind}\s+"([a-z0-9_]+)"'
_ASSIGNMENT = re.compile(r"(?m)^([a-z0-9_]+)\s*=")


def _read(name: str, file: str) -> str:
    return (ENVIRONMENTS / name / file).read_text(encoding="utf-8")


def _names(text: str, kind: str) -> set[str]:
    return set(re.findall(_BLOCK_NAME.format(kind=kind), text))


def test_the_three_roots_are_the_same_files() -> None:
    # One copy: staging's and prod's root files are links to dev's, so they cannot drift.
    for file in SHARED_FILES:
        for name in NAMES[1:]:
            path = ROOT / "terraform" / "environments" / name / file
            assert path.is_symlink(), f"{name}/{file} must link ../dev/{file}"
            assert path.resolve() == (ROOT / "terraform" / "environments" / "dev" / file).resolve()


@pytest.mark.parametrize("name", NAMES)
def test_the_backend_is_s3_with_a_lock_file_and_its_own_key(name: str) -> None:
    backend = _read(name, "backend.tf")
    assert re.search(r'backend\s+"s3"', backend)
    assert re.search(r"(?m)^\s*use_lockfile\s*=\s*true\s*$", backend)
    assert re.search(r"(?m)^\s*encrypt\s*=\s*true\s*$", backend)
    assert f'key          = "ecom-pipeline/{name}/terraform.tfstate"' in backend
    # Only the key differs between the environments.
    other = _read("dev", "backend.tf").replace("/dev/", f"/{name}/")
    assert backend == other


@pytest.mark.parametrize("name", NAMES)
def test_the_tfvars_name_the_environment_and_declared_variables_only(name: str) -> None:
    tfvars = _read(name, "terraform.tfvars")
    assigned = set(_ASSIGNMENT.findall(tfvars))
    declared = _names(_read(name, "variables.tf"), "variable")
    assert assigned <= declared, f"undeclared in variables.tf: {sorted(assigned - declared)}"
    assert re.search(rf'(?m)^environment\s*=\s*"{name}"\s*$', tfvars)
    # Required variables without a default that the deploy workflow does not pass are set here.
    release = {"package_version", "package_s3_key", "package_sha256", "artifacts_prefix"}
    variables = _read(name, "variables.tf")
    required = {
        v
        for v in declared
        if "default" not in re.search(rf'variable "{v}" \{{(.*?)\n\}}', variables, re.S)[1]
    }
    # lambda_layer_arns: the operator fills in the layer of their region (README).
    missing = required - release - assigned - {"lambda_layer_arns"}
    assert not missing, f"{name}/terraform.tfvars must set {sorted(missing)}"


@pytest.mark.parametrize("name", NAMES)
def test_what_the_params_file_owns_is_not_in_terraform(name: str) -> None:
    tfvars = _read(name, "terraform.tfvars")
    params = yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert "cron(" not in tfvars
    assert params["query"]["workgroup"] not in tfvars
    assert "bucket" not in "".join(_ASSIGNMENT.findall(tfvars))


def test_staging_and_prod_keep_their_data() -> None:
    for name in ("staging", "prod"):
        tfvars = _read(name, "terraform.tfvars")
        assert re.search(r"(?m)^force_destroy\s*=\s*false\s*$", tfvars), name
        assert re.search(r"(?m)^deletion_protection\s*=\s*true\s*$", tfvars), name


LAMBDA_MAIN_TF = ROOT / "terraform" / "modules" / "lambda-processors" / "main.tf"


def module_reserved_concurrency() -> dict[str, int]:
    """reserved_concurrency of every handler in lambda-processors' ``handlers`` defaults."""
    text = LAMBDA_MAIN_TF.read_text(encoding="utf-8")
    start = re.search(r"(?m)^  handlers = \{$", text)
    assert start is not None, "lambda-processors/main.tf has no `handlers = {` local"
    block = text[start.end() : text.index("\n  }\n", start.end())]
    handlers = dict(re.findall(r"(?ms)^    ([a-z0-9_]+) = \{\n(.*?)^    \}", block))
    reserved = {}
    for name, body in handlers.items():
        value = re.search(r"(?m)^\s*reserved_concurrency\s*=\s*(-?\d+)", body)
        assert value is not None, f"handler {name} has no reserved_concurrency default"
        reserved[name] = int(value.group(1))
    return reserved


def reserved_concurrency(name: str) -> dict[str, int]:
    """What each function of environment ``name`` reserves: the module's defaults with the
    ``lambda_functions`` overrides of its terraform.tfvars (-1 = no reservation)."""
    reserved = module_reserved_concurrency()
    tfvars = _read(name, "terraform.tfvars")
    block = re.search(r"(?ms)^lambda_functions\s*=\s*\{(.*?)^\}", tfvars)
    if block is None:  # `lambda_functions = {}` on one line
        assert re.search(r"(?m)^lambda_functions\s*=\s*\{\s*\}\s*$", tfvars), name
        return reserved
    for function, fields in re.findall(r"(?m)^\s*([a-z0-9_]+)\s*=\s*\{([^}]*)\}", block.group(1)):
        assert function in reserved, f"{name}: lambda_functions names no handler {function!r}"
        value = re.search(r"reserved_concurrency\s*=\s*(-?\d+)", fields)
        if value:
            reserved[function] = int(value.group(1))
    return reserved


def test_dev_reserves_no_concurrency_in_a_fresh_account() -> None:
    # A new account's concurrency quota is 10 and AWS keeps 10 unreserved: any reservation
    # fails the apply with InvalidParameterValueException (UnreservedConcurrentExecution).
    assert module_reserved_concurrency()["s3_trigger"] > 0  # the parser reads the defaults
    reserving = {f: n for f, n in reserved_concurrency("dev").items() if n != -1}
    assert reserving == {}, f"dev reserves concurrency for {reserving}"


def test_staging_and_prod_keep_the_reservations_that_protect_cost() -> None:
    for name in ("staging", "prod"):
        reserved = reserved_concurrency(name)
        assert reserved["s3_trigger"] > 0 and reserved["schedule_trigger"] > 0, (name, reserved)
        assert reserved["api_handler"] > 0, (name, reserved)


def test_the_provider_is_the_mirrors_with_default_tags() -> None:
    versions = _read("dev", "versions.tf")
    assert re.search(r'version\s*=\s*"5\.100\.0"', versions)
    assert re.search(r'required_version\s*=\s*">= 1\.10"', versions)  # use_lockfile
    providers = _read("dev", "providers.tf")
    for tag in ("project", "environment", "managed-by"):
        assert re.search(rf"(?m)^\s*{tag}\s*=", providers), tag


def test_every_pipeline_output_is_an_environment_output() -> None:
    root = _names(_read("dev", "outputs.tf"), "output")
    pipeline = _names(PIPELINE_OUTPUTS.read_text(encoding="utf-8"), "output")
    assert root == pipeline
    for name in root:
        assert f"value       = module.pipeline.{name}\n" in _read("dev", "outputs.tf"), name


def test_the_deploy_workflow_finds_its_outputs() -> None:
    if not DEPLOY_WORKFLOW.exists():
        pytest.skip("no deploy workflow")
    workflow = DEPLOY_WORKFLOW.read_text(encoding="utf-8")
    wanted = set(re.findall(r"output -raw ([a-z_]+)", workflow))
    for loop in re.findall(r"for name in ([a-z_ \\\n]+?); do", workflow):
        wanted |= set(re.findall(r"[a-z_]+", loop.replace("\\", " "))) - {"name"}
    assert wanted, "the workflow reads no outputs any more: update this test"
    assert wanted <= _names(_read("dev", "outputs.tf"), "output")


def test_the_tfvars_files_are_not_ignored_by_git() -> None:
    paths = [f"terraform/environments/{name}/terraform.tfvars" for name in NAMES]
    paths.append("terraform/bootstrap/terraform.tfvars")
    result = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode == 128:
        pytest.skip(f"not a git checkout: {result.stderr.strip()}")
    assert result.stdout.strip() == "", f"ignored by .gitignore: {result.stdout.split()}"
