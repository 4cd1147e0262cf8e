"""Loading the state machine: the template, and loud refusal of what cannot run locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.orchestration.asl import (
    STATE_MACHINE_FILE,
    ASLError,
    StateMachine,
    load_state_machine,
    placeholders,
    render_template,
)
from pipeline_lib.orchestration.local_resources import (
    GLUE_JOB_SYNC,
    LAMBDA_INVOKE,
    SNS_PUBLISH,
    local_variables,
)
from pipeline_lib.orchestration.pipeline import (
    MERGE_NOTEBOOK,
    NOTEBOOKS_DIR,
    load_local_state_machine,
)
from tests.state_machine import etl_jobs

TEXT = STATE_MACHINE_FILE.read_text(encoding="utf-8")


def check(states: dict[str, Any], **top: Any) -> StateMachine:
    return StateMachine.from_definition({"StartAt": "A", "States": states, **top})


@pytest.mark.parametrize(
    ("states", "message"),
    [
        ({"A": {"Type": "Map", "End": True}}, "state type 'Map' is not supported"),
        ({"A": {"Type": "Wait", "Seconds": 1, "End": True}}, "state type 'Wait'"),
        (
            {"A": {"Type": "Task", "Resource": "x", "TimeoutSeconds": 5, "End": True}},
            "unsupported field(s) TimeoutSeconds",
        ),
        ({"A": {"Type": "Task", "Resource": "x", "Next": "Nowhere"}}, "'Nowhere' is not a state"),
        (
            {"A": {"Type": "Pass", "Parameters": {"m.$": "States.Format('{}', $.a)"}, "End": True}},
            "intrinsic functions are not supported",
        ),
        (
            {
                "A": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "TimestampEquals": "x", "Next": "A"}],
                }
            },
            "unsupported choice operator",
        ),
        (
            {"A": {"Type": "Task", "Resource": "x", "ResultPath": "$.a[0]", "End": True}},
            "not a supported reference path",
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": "x",
                    "End": True,
                    "Retry": [{"ErrorEquals": ["States.ALL", "X"]}],
                }
            },
            "States.ALL must appear alone",
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": "x",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}],
                }
            },
            "Catch goes to unknown state 'Gone'",
        ),
        (
            {
                "A": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Map", "End": True}}}],
                }
            },
            "branch 0 > state B",
        ),
    ],
)
def test_unsupported_or_malformed_asl_fails_at_load_time(
    states: dict[str, Any], message: str
) -> None:
    with pytest.raises(ASLError) as caught:
        check(states)
    assert message in str(caught.value)


def test_a_jsonata_machine_is_refused() -> None:
    with pytest.raises(ASLError, match="QueryLanguage"):
        check({"A": {"Type": "Succeed"}}, QueryLanguage="JSONata")


def test_the_template_needs_every_placeholder_and_fills_them_like_templatefile() -> None:
    with pytest.raises(ASLError, match="needs values for: b"):
        render_template('{"x": "${a}", "y": "${b}"}', {"a": "1"})
    assert render_template('{"x": "${a}"}', {"a": "arn:1"}) == '{"x": "arn:1"}'


def test_a_definition_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "sm.json"
    broken.write_text('{"StartAt": ')
    with pytest.raises(ASLError, match=r"sm\.json is not valid JSON"):
        load_state_machine({}, broken)


# --- the pipeline's own definition ---------------------------------------------------------


def test_the_pipeline_definition_loads_with_local_values() -> None:
    loaded = load_local_state_machine()
    assert loaded.start_at == "ValidateIncomingFiles"
    resources = {state.get("Resource") for _, state in loaded.walk() if state["Type"] == "Task"}
    assert resources == {LAMBDA_INVOKE, GLUE_JOB_SYNC, SNS_PUBLISH}


def test_no_crawler_runs_between_validation_and_the_etl_jobs() -> None:
    # The pipeline registers its Glue tables itself on publish (partition projection), so
    # validation goes straight to the ETL jobs and no state starts a Glue crawler
    # (docs/adr/0004-glue-tables-registered-on-publish.md).
    loaded = load_local_state_machine()
    assert loaded.states["ValidateIncomingFiles"]["Next"] == "RunEtlJobs"
    assert "RunCrawlers" not in loaded.states
    for name, state in loaded.walk():
        assert "crawl" not in name.lower(), name
        assert "crawler" not in str(state.get("Resource", "")).lower(), name
    assert not [name for name in placeholders(TEXT) if name.endswith("_crawler")]


def test_every_task_retries_transient_errors_with_backoff() -> None:
    for name, state in load_local_state_machine().walk():
        if state["Type"] != "Task":
            continue
        assert state.get("Retry"), f"{name} has no Retry"
        for retrier in state["Retry"]:
            assert "States.ALL" not in retrier["ErrorEquals"], f"{name} retries everything"
            assert retrier.get("BackoffRate", 2.0) > 1, name


def test_every_top_level_step_catches_into_the_failure_notification() -> None:
    loaded = load_local_state_machine()
    for name, state in loaded.states.items():
        if state["Type"] not in ("Task", "Parallel"):
            continue
        catches = state.get("Catch") or []
        assert catches and catches[-1]["ErrorEquals"] == ["States.ALL"], name
    # The failure path ends in a notification and a Fail state.
    assert loaded.states["SummarizeFailure"]["Next"] == "NotifyFailure"
    assert loaded.states["NotifyFailure"]["Next"] == "PipelineFailed"
    assert loaded.states["PipelineFailed"]["Type"] == "Fail"


def test_the_etl_jobs_run_in_one_parallel_state_with_a_branch_per_notebook() -> None:
    # A notebook in notebooks/etl/ that no branch runs, or a branch without its notebook,
    # is a data source half added (docs/PIPELINE_GUIDE.md, "add a data source").
    notebooks = sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.py") if p.stem != MERGE_NOTEBOOK)
    assert sorted(etl_jobs()) == notebooks


def test_local_values_cover_every_placeholder() -> None:
    values = local_variables(TEXT)
    assert set(values) == placeholders(TEXT)
    assert values["file_validator_arn"] == "file_validator"
    assert values["transaction_etl_job"] == "transaction_etl"
    json.loads(render_template(TEXT, values))


# --- what Step Functions refuses at CreateStateMachine must fail the load too --------------


def choice(rule: dict[str, Any]) -> dict[str, Any]:
    return {"A": {"Type": "Choice", "Choices": [{**rule, "Next": "B"}]}, "B": {"Type": "Succeed"}}


def retrying(*retriers: dict[str, Any]) -> dict[str, Any]:
    return {"A": {"Type": "Task", "Resource": "x", "End": True, "Retry": list(retriers)}}


@pytest.mark.parametrize(
    ("states", "message"),
    [
        (
            retrying({"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}),
            "States.ALL must be in the last",
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": "x",
                    "End": True,
                    "Catch": [
                        {"ErrorEquals": ["States.ALL"], "Next": "A"},
                        {"ErrorEquals": ["X"], "Next": "A"},
                    ],
                }
            },
            "States.ALL must be in the last",
        ),
        (retrying({"ErrorEquals": ["X"], "BackoffRate": 0.5}), "BackoffRate"),
        (retrying({"ErrorEquals": ["X"], "MaxAttempts": -1}), "MaxAttempts"),
        (retrying({"ErrorEquals": ["X"], "MaxAttempts": 1.5}), "MaxAttempts"),
        (retrying({"ErrorEquals": ["X"], "IntervalSeconds": 0}), "IntervalSeconds"),
        (choice({"Variable": "$.n", "NumericEquals": "1"}), "NumericEquals needs a number"),
        (choice({"Variable": "$.n", "NumericEquals": True}), "NumericEquals needs a number"),
        (choice({"Variable": "$.s", "StringEquals": 1}), "StringEquals needs a string"),
        (choice({"Variable": "$.b", "BooleanEquals": "true"}), "BooleanEquals needs a boolean"),
        (choice({"Variable": "$.b", "IsPresent": "false"}), "IsPresent needs a boolean"),
        (choice({"Variable": "$.s", "StringMatches": 5}), "StringMatches needs a string"),
        (choice({"Variable": "$.n", "NumericEqualsPath": "5"}), "NumericEqualsPath"),
        (choice({"Variable": "$.a[*]", "IsPresent": True}), "not a supported path"),
        (choice({"Variable": "$..a", "StringEquals": "x"}), "not a supported path"),
        (
            {"A": {"Type": "Pass", "Parameters": {"n.$": "$.items.`len`"}, "End": True}},
            "not a supported path",
        ),
        (
            {"A": {"Type": "Pass", "Parameters": {"n.$": "$.a + $.b"}, "End": True}},
            "not a supported path",
        ),
        (
            {"A": {"Type": "Pass", "Parameters": {"n.$": "$.a*2"}, "End": True}},
            "not a supported path",
        ),
    ],
)
def test_asl_that_step_functions_refuses_fails_at_load_time(
    states: dict[str, Any], message: str
) -> None:
    with pytest.raises(ASLError) as caught:
        check(states)
    assert message in str(caught.value)


def test_valid_paths_that_step_functions_accepts_load() -> None:
    check(
        {
            "A": {
                "Type": "Pass",
                "Parameters": {
                    "first.$": "$$.Execution.Input.files[0]",
                    "names.$": "$.files[*].name",
                    "quoted.$": "$['run id']",
                    "big.$": "$.files[?(@.size > 10)]",
                },
                "Next": "B",
            },
            "B": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.files[0].size",
                        "NumericGreaterThanPath": "$.limit",
                        "Next": "C",
                    },
                    {
                        "Variable": "$$.Execution.Input.mode",
                        "StringMatches": "fu\\*ll*",
                        "Next": "C",
                    },
                ],
                "Default": "C",
            },
            "C": {"Type": "Succeed"},
        }
    )
