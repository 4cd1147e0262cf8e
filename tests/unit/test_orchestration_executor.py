"""The local ASL executor: states, paths, retries, catches, parallel branches, history."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from pipeline_lib.orchestration.asl import StateMachine, StatesError
from pipeline_lib.orchestration.executor import LocalExecutor, TaskContext

TASK = "arn:aws:states:::lambda:invoke"


def machine(states: dict[str, Any], start: str = "A") -> StateMachine:
    return StateMachine.from_definition({"StartAt": start, "States": states})


class Recorder:
    """Task handler answering from a script: a value, or a StatesError to raise."""

    def __init__(self, script: dict[str, list[Any]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.calls: list[tuple[str, Any, int]] = []
        self.lock = threading.Lock()

    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any:
        with self.lock:
            self.calls.append((task.state, parameters, task.attempt))
            answers = self.script[task.state]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, StatesError):
            raise answer
        return answer


def run(
    states: dict[str, Any], script: dict[str, list[Any]], data: Any = None, **kwargs: Any
) -> tuple[Any, Recorder, list[float]]:
    sleeps: list[float] = []
    recorder = Recorder(script)
    executor = LocalExecutor(machine(states), recorder, sleep=sleeps.append, **kwargs)
    return executor.execute(data if data is not None else {}, "test"), recorder, sleeps


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": TASK, **fields}


# --- paths ---------------------------------------------------------------------------------


def test_input_parameters_selector_result_and_output_paths_compose_as_on_aws() -> None:
    states = {
        "A": task(
            InputPath="$.order",
            Parameters={"id.$": "$.id", "fixed": 1, "execution.$": "$$.Execution.Name"},
            ResultSelector={"total.$": "$.Payload.total"},
            ResultPath="$.priced",
            OutputPath="$.priced",
            End=True,
        )
    }
    data = {"order": {"id": "o1", "lines": 2}, "other": True}
    execution, recorder, _ = run(states, {"A": [{"Payload": {"total": 9.5, "noise": 0}}]}, data)

    assert execution.succeeded
    assert recorder.calls == [("A", {"id": "o1", "fixed": 1, "execution": "test"}, 0)]
    # ResultPath merges into the *raw* input (the InputPath only filters the task's view).
    assert execution.output == {"total": 9.5}


def test_result_path_null_keeps_the_input_and_discards_the_result() -> None:
    states = {"A": task(ResultPath=None, End=True)}
    execution, _, _ = run(states, {"A": [{"big": "result"}]}, {"keep": 1})
    assert execution.output == {"keep": 1}


def test_a_missing_path_is_a_runtime_error_that_no_catch_takes() -> None:
    states = {
        "A": task(
            Parameters={"x.$": "$.absent"},
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            End=True,
        ),
        "Caught": {"Type": "Succeed"},
    }
    execution, recorder, _ = run(states, {"A": [{}]}, {"present": 1})
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime" and "$.absent" in (execution.cause or "")
    assert recorder.calls == []


# --- retry and catch -----------------------------------------------------------------------


RETRY = [
    {"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0}
]


def test_a_transient_error_is_retried_with_backoff_then_succeeds() -> None:
    flaky = StatesError("TransientError", "throttled")
    states = {"A": task(Retry=RETRY, End=True)}
    execution, recorder, sleeps = run(states, {"A": [flaky, flaky, {"ok": True}]})

    assert execution.succeeded and execution.output == {"ok": True}
    assert [attempt for _, _, attempt in recorder.calls] == [0, 1, 2]
    assert sleeps == [2.0, 4.0]
    kinds = [e.type for e in execution.events]
    assert kinds.count("TaskFailed") == 2 and kinds.count("RetryScheduled") == 2


def test_retries_stop_at_max_attempts_and_the_catch_gets_error_and_cause() -> None:
    flaky = StatesError("TransientError", "still throttled")
    states = {
        "A": task(
            Retry=RETRY,
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}],
            Next="Done",
        ),
        "Notify": task(ResultPath=None, Next="Failed"),
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "PipelineFailed", "Cause": "see notification"},
    }
    execution, recorder, sleeps = run(states, {"A": [flaky], "Notify": [{}]}, {"run_id": "r"})

    assert len([c for c in recorder.calls if c[0] == "A"]) == 4  # first call + 3 retries
    assert sleeps == [2.0, 4.0, 8.0]
    notify_input = next(
        e for e in execution.events if e.type == "TaskStateEntered" and e.state == "Notify"
    ).details["input"]
    assert notify_input == {
        "run_id": "r",
        "error": {"Error": "TransientError", "Cause": "still throttled"},
    }
    assert execution.status == "FAILED" and execution.error == "PipelineFailed"
    assert execution.entered_states() == ["A", "Notify", "Failed"]


def test_a_permanent_error_is_not_retried() -> None:
    states = {
        "A": task(Retry=RETRY, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "B"}], End=True),
        "B": {"Type": "Pass", "End": True},
    }
    execution, recorder, sleeps = run(states, {"A": [StatesError("PermanentError", "bad")]})
    assert len(recorder.calls) == 1 and sleeps == []
    assert execution.entered_states() == ["A", "B"]


def test_max_delay_caps_the_backoff() -> None:
    retry = [{**RETRY[0], "IntervalSeconds": 10, "MaxDelaySeconds": 15}]
    flaky = StatesError("TransientError", "")
    execution, _, sleeps = run({"A": task(Retry=retry, End=True)}, {"A": [flaky, flaky, {}]})
    assert execution.succeeded and sleeps == [10.0, 15.0]


def test_a_handler_bug_is_a_named_task_failure() -> None:
    def broken(resource: str, parameters: Any, context: TaskContext) -> Any:
        raise KeyError("oops")

    executor = LocalExecutor(machine({"A": task(End=True)}), broken)
    execution = executor.execute({}, "bug")
    assert execution.error == "States.TaskFailed"
    assert json.loads(execution.cause or "{}")["errorType"] == "KeyError"


# --- parallel ------------------------------------------------------------------------------


def branch(name: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: task(End=True, **fields)}}


def test_parallel_branches_run_at_the_same_time_and_return_their_outputs_in_order() -> None:
    both_running = threading.Barrier(2, timeout=10)

    def meet(resource: str, parameters: Any, context: TaskContext) -> Any:
        both_running.wait()  # raises BrokenBarrierError unless the branches overlap
        return {"from": context.state}

    states = {"A": {"Type": "Parallel", "Branches": [branch("X"), branch("Y")], "End": True}}
    execution = LocalExecutor(machine(states), meet, max_concurrency=2).execute({}, "p")
    assert execution.succeeded, execution.cause
    assert execution.output == [{"from": "X"}, {"from": "Y"}]


def test_a_failed_branch_fails_the_parallel_state_and_its_catch_runs() -> None:
    states = {
        "A": {
            "Type": "Parallel",
            "Branches": [branch("X"), branch("Y", Retry=RETRY)],
            "ResultPath": None,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "B"}],
            "Next": "C",
        },
        "B": {"Type": "Pass", "End": True},
        "C": {"Type": "Pass", "End": True},
    }
    flaky = StatesError("TransientError", "once")
    broken = StatesError("States.TaskFailed", '{"ErrorMessage": "notebook failed"}')
    execution, _recorder, _sleeps = run(states, {"X": [broken], "Y": [flaky, {}]}, {"r": 1})

    assert execution.succeeded
    assert execution.output["error"]["Error"] == "States.TaskFailed"
    assert "B" in execution.entered_states() and "C" not in execution.entered_states()
    kinds = [e.type for e in execution.events]
    assert "ParallelStateFailed" in kinds


# --- choice, pass, fail --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"n": 5, "s": "ok", "b": True}, "Big"),
        ({"n": 1, "s": "ok", "b": True}, "Small"),
        ({"n": 1, "s": "no", "b": False}, "Other"),
    ],
)
def test_choice_rules_pick_the_first_match_or_the_default(value: Any, expected: str) -> None:
    states = {
        "A": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.n", "NumericGreaterThan": 3},
                        {"Variable": "$.b", "BooleanEquals": True},
                    ],
                    "Next": "Big",
                },
                {"Not": {"Variable": "$.s", "StringEquals": "no"}, "Next": "Small"},
            ],
            "Default": "Other",
        },
        "Big": {"Type": "Succeed"},
        "Small": {"Type": "Succeed"},
        "Other": {"Type": "Succeed"},
    }
    execution, _, _ = run(states, {}, value)
    assert execution.entered_states() == ["A", expected]


def test_no_matching_choice_without_default_fails_the_execution() -> None:
    states = {
        "A": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "B"}]},
        "B": {"Type": "Succeed"},
    }
    execution, _, _ = run(states, {}, {"n": 2})
    assert execution.error == "States.NoChoiceMatched"


def test_pass_result_and_is_present() -> None:
    states = {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.added", "Next": "B"},
        "B": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.added.x", "IsPresent": True, "Next": "C"}],
            "Default": "D",
        },
        "C": {"Type": "Succeed"},
        "D": {"Type": "Fail", "Error": "Missing"},
    }
    execution, _, _ = run(states, {}, {"keep": 0})
    assert execution.succeeded and execution.output == {"keep": 0, "added": {"x": 1}}


def test_history_records_entered_and_exited_states_with_inputs_and_outputs() -> None:
    seen: list[str] = []
    recorder = Recorder({"A": [{"v": 1}]})
    executor = LocalExecutor(
        machine({"A": task(End=True)}), recorder, on_event=lambda e: seen.append(e.type)
    )
    execution = executor.execute({"in": 1}, "h")
    assert (
        seen
        == [e.type for e in execution.events]
        == [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded",
        ]
    )
    assert [e.id for e in execution.events] == list(range(1, 7))


# --- fidelity to Step Functions ------------------------------------------------------------


def _fail_after(signal: threading.Event, error: str) -> StatesError:
    """Wait for ``signal`` (another branch failed), let that failure settle, then fail."""
    signal.wait(timeout=10)
    time.sleep(0.2)
    return StatesError(error, "late")


def test_the_first_branch_to_fail_names_the_parallel_failure() -> None:
    # Y fails first; X fails later with its own error. On AWS the first failure stops the
    # Parallel state, so its error is the one Catch and the execution see.
    y_failed = threading.Event()

    def tasks(resource: str, parameters: Any, context: TaskContext) -> Any:
        if context.state == "Y":
            y_failed.set()
            raise StatesError("YError", "first")
        raise _fail_after(y_failed, "XError")

    states = {"A": {"Type": "Parallel", "Branches": [branch("X"), branch("Y")], "End": True}}
    execution = LocalExecutor(machine(states), tasks, max_concurrency=2).execute({}, "p")
    assert execution.error == "YError"


def test_a_failed_branch_stops_the_retries_of_the_other_branches() -> None:
    y_started, x_failed = threading.Event(), threading.Event()
    calls: list[str] = []

    def tasks(resource: str, parameters: Any, context: TaskContext) -> Any:
        calls.append(context.state)
        if context.state == "X":
            y_started.wait(timeout=10)
            x_failed.set()
            raise StatesError("PermanentError", "x")
        y_started.set()
        raise _fail_after(x_failed, "TransientError")

    states = {
        "A": {"Type": "Parallel", "Branches": [branch("X"), branch("Y", Retry=RETRY)], "End": True}
    }
    executor = LocalExecutor(machine(states), tasks, max_concurrency=2, sleep=lambda s: None)
    execution = executor.execute({}, "p")
    assert execution.error == "PermanentError"
    assert calls.count("Y") == 1  # no retry starts once the Parallel state has failed


def test_a_failed_branch_stops_the_branches_of_a_nested_parallel_state() -> None:
    p1_started, x_failed = threading.Event(), threading.Event()

    def tasks(resource: str, parameters: Any, context: TaskContext) -> Any:
        if context.state == "X":
            p1_started.wait(timeout=10)
            x_failed.set()
            raise StatesError("PermanentError", "x")
        if context.state == "P1":
            p1_started.set()
            x_failed.wait(timeout=10)
            time.sleep(0.2)
        return {}

    inner = {
        "StartAt": "Inner",
        "States": {
            "Inner": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "P1", "States": {"P1": task(Next="P2"), "P2": task(End=True)}}
                ],
                "End": True,
            }
        },
    }
    states = {"A": {"Type": "Parallel", "Branches": [inner, branch("X")], "End": True}}
    execution = LocalExecutor(machine(states), tasks, max_concurrency=2).execute({}, "p")
    assert execution.error == "PermanentError"
    assert "P2" not in execution.entered_states()


def test_a_task_handler_cannot_change_the_data_other_states_see() -> None:
    # On AWS every state gets its input as JSON, by value.
    def tasks(resource: str, parameters: Any, context: TaskContext) -> Any:
        parameters["touched_by"] = context.state
        parameters["nested"]["n"] = 0
        return {}

    states = {
        "A": {
            "Type": "Parallel",
            "Branches": [branch("X"), branch("Y")],
            "ResultPath": None,
            "End": True,
        }
    }
    data = {"nested": {"n": 1}}
    execution = LocalExecutor(machine(states), tasks, max_concurrency=1).execute(data, "p")
    assert execution.succeeded and execution.output == {"nested": {"n": 1}}


def choice_on(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "A": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Succeed"},
    }


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("log-*.json", "log-1.json", True),
        ("a?c", "abc", False),  # only * is a wildcard
        ("a?c", "a?c", True),
        ("log[1]", "log1", False),
        ("log[1]", "log[1]", True),
        ("file\\*.log", "file*.log", True),  # \* is a literal asterisk
        ("file\\*.log", "file1.log", False),
        ("back\\\\slash", "back\\slash", True),  # \\ is a literal backslash
    ],
)
def test_string_matches_has_only_the_asl_wildcard(pattern: str, value: str, matches: bool) -> None:
    states = choice_on({"Variable": "$.v", "StringMatches": pattern})
    execution, _, _ = run(states, {}, {"v": value})
    assert execution.entered_states() == ["A", "Yes" if matches else "No"]


@pytest.mark.parametrize(
    ("rule", "data"),
    [
        ({"Variable": "$.n", "NumericLessThanPath": "$.s"}, {"n": 1, "s": "2"}),
        ({"Variable": "$.n", "NumericEqualsPath": "$.b"}, {"n": 1, "b": True}),
        ({"Variable": "$.s", "StringGreaterThanPath": "$.n"}, {"n": 1, "s": "2"}),
    ],
)
def test_a_path_comparison_with_a_value_of_another_type_is_false(
    rule: dict[str, Any], data: Any
) -> None:
    execution, _, _ = run(choice_on(rule), {}, data)
    assert execution.succeeded and execution.entered_states() == ["A", "No"]
