"""The Terraform module of the EventBridge rules: the schedule comes from the params files.

``schedule.daily_cron`` is read by ``ecom-pipeline watch --schedule`` and by the daily rule
(``params/base.yaml``, with ``params/<env>.yaml`` over it); it must live in the params files
only. The text checks need no terraform binary; the last
test runs ``terraform test`` offline (mocked AWS provider, plan only) when terraform is
installed, with providers from the filesystem mirror named in terraform/.terraformrc.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pipeline_lib.config import ENVIRONMENTS, load_params
from tests.terraform._terraform import run_terraform

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULE = TERRAFORM / "modules" / "eventbridge"
MAIN_TF = MODULE / "main.tf"
TEST_FILE = MODULE / "tests" / "schedule.tftest.hcl"
CLI_CONFIG = TERRAFORM / ".terraformrc"

_CRON = re.compile(r"^cron\(.+\)$")
_LOCAL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$", re.MULTILINE)
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_]*)")
_FROM_PARAMS = re.compile(
    r"yamldecode\(file\((var\.params_files\[\d+\]|f)\)\).*\.schedule\.daily_cron\b"
)


def _without_comments(text: str) -> str:
    """HCL without its line comments, so commented-out code neither passes nor fails."""
    return re.sub(r"(?m)(^|\s)(#|//).*$", r"\1", text)


def _main_tf() -> str:
    return _without_comments(MAIN_TF.read_text(encoding="utf-8"))


def _block(text: str, header: str) -> str:
    """The body of the first block whose opening line matches ``header`` (a regex)."""
    match = re.search(header + r"\s*\{", text)
    assert match is not None, f"main.tf has no block {header!r}"
    depth = 0
    for i in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[match.end() : i]
    raise AssertionError("unbalanced braces in main.tf")


def _schedule_rule(main_tf: str) -> str:
    return _block(main_tf, r'resource\s+"aws_cloudwatch_event_rule"\s+"schedule"')


def _local_definitions(main_tf: str) -> dict[str, str]:
    """``name -> expression`` of the one-line local values of every ``locals`` block."""
    definitions: dict[str, str] = {}
    for match in re.finditer(r"(?m)^locals\s*\{", main_tf):
        definitions.update(_LOCAL.findall(_block(main_tf[match.start() :], r"locals")))
    return definitions


def _expand_locals(expression: str, definitions: dict[str, str], depth: int = 0) -> str:
    """``expression`` with every ``local.name`` replaced by its (one-line) definition."""
    assert depth < 10, "local values refer to each other in a cycle"

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in definitions, f"local.{name} is not defined on one line in main.tf"
        return f"({_expand_locals(definitions[name], definitions, depth + 1)})"

    return _LOCAL_REF.sub(expand, expression)


def schedule_expression_source(main_tf: str) -> str:
    """What the schedule rule's schedule_expression is, with the locals expanded."""
    match = re.search(r"(?m)^\s*schedule_expression\s*=\s*(.+?)\s*$", _schedule_rule(main_tf))
    assert match is not None, "the schedule rule sets no schedule_expression"
    return _expand_locals(match[1], _local_definitions(main_tf))


def _reads_params_cron(source: str) -> bool:
    # Expanded locals come in parentheses: ({... yamldecode(file(f)) ...}).schedule...
    flat = re.sub(r"\s+", "", source)
    return "var.params_files" in flat and bool(_FROM_PARAMS.search(flat))


def test_the_schedule_expression_comes_from_the_params_file() -> None:
    source = schedule_expression_source(_main_tf())
    assert _reads_params_cron(source), (
        "the schedule rule's schedule_expression must be schedule.daily_cron of the files "
        f"of var.params_files (yamldecode(file(f))), not {source}"
    )


def test_each_params_file_is_read_once() -> None:
    main_tf = _main_tf()
    reads = re.findall(r"yamldecode\(\s*file\(", main_tf)
    assert len(reads) == 1, f"main.tf decodes a params file in {len(reads)} places, not one"
    assert re.search(
        r"for\s+f\s+in\s+var\.params_files\s*:\s*yamldecode\(\s*file\(\s*f\s*\)", main_tf
    )


def test_no_cron_expression_is_written_in_terraform() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(TERRAFORM.rglob("*.tf"))
        if ".terraform" not in path.parts
        and "cron(" in path.read_text(encoding="utf-8").lower().replace(" ", "")
    ]
    assert not offenders, (
        f"cron( written in Terraform (it belongs in params/<env>.yaml): {offenders}"
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("local.schedule_expression", True),
        ("yamldecode(file(var.params_files[1])).schedule.daily_cron", True),
        ('"cron(30 2 * * ? *)"', False),
        ("local.params.schedule.other_cron", False),
    ],
)
def test_the_source_check_follows_locals(expression: str, expected: bool) -> None:
    hcl = (
        "locals {\n  params = merge([for f in var.params_files : yamldecode(file(f))]...)\n"
        "  schedule_expression = try(local.params.schedule.daily_cron, null)\n}\n"
        f'resource "aws_cloudwatch_event_rule" "schedule" {{\n'
        f"  schedule_expression = {expression}\n}}\n"
    )
    assert _reads_params_cron(schedule_expression_source(hcl)) is expected


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environments_params_plan(env: str) -> None:
    """The values the module reads are ones its preconditions (and AWS) accept."""
    params = load_params(env)  # params/base.yaml with params/<env>.yaml over it
    cron = (params.get("schedule") or {}).get("daily_cron")
    assert isinstance(cron, str) and _CRON.match(cron), f"schedule.daily_cron: {cron!r}"
    window = (params.get("watch") or {}).get("debounce_seconds", 5)
    assert not isinstance(window, bool) and isinstance(window, (int, float)), window
    assert window == int(window) and 1 <= window <= 300, f"watch.debounce_seconds: {window!r}"


def test_terraform_test_plans_the_params_values(tmp_path: Path) -> None:
    if shutil.which("terraform") is None:
        pytest.skip(
            "terraform is not installed: `terraform test` of the eventbridge module not run"
        )
    assert TEST_FILE.is_file(), f"missing {TEST_FILE.relative_to(ROOT)}"
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
        "TF_IN_AUTOMATION": "1",
        # Providers and modules go to a temporary directory, not the module's .terraform
        # (which `make lint-infra` may be using); the lock file is only read.
        "TF_DATA_DIR": str(tmp_path / "tf-data"),
    }
    init = run_terraform(
        MODULE, ["init", "-backend=false", "-input=false", "-lockfile=readonly", "-no-color"], env
    )
    assert init.returncode == 0, f"terraform init failed:\n{init.stdout}\n{init.stderr}"

    test = run_terraform(MODULE, ["test", "-no-color"], env)
    output = f"{test.stdout}\n{test.stderr}"
    assert test.returncode == 0, f"terraform test failed:\n{output}"
    summary = re.search(r"Success! (\d+) passed, 0 failed", output)
    assert summary and int(summary[1]) >= 4, f"unexpected terraform test summary:\n{output}"
