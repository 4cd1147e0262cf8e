"""A local executor for the pipeline's Step Functions definition.

It runs a checked :class:`~pipeline_lib.orchestration.asl.StateMachine` as Step Functions
does: Task, Parallel (branches at once), Choice, Pass, Succeed and Fail; InputPath,
Parameters, ResultSelector, ResultPath and OutputPath; Retry with backoff and Catch. Task
resources are served by one callable (``TaskHandler``) that the caller supplies: locally the
Lambda handlers in-process, the notebooks for Glue jobs and the notifier for SNS.

Every execution writes a history like Step Functions': ``ExecutionStarted``,
``<Type>StateEntered``/``<Type>StateExited``, ``TaskScheduled``/``TaskSucceeded``/
``TaskFailed``, ``RetryScheduled`` (local only: AWS shows the repeated TaskScheduled),
``ExecutionSucceeded``/``ExecutionFailed``.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Protocol

from pipeline_lib.exceptions import StatesError
from pipeline_lib.orchestration.asl import StateMachine
from pipeline_lib.orchestration.paths import RUNTIME, apply_template, read_path, write_path

#: The account and region of local ARNs and events (as moto and LocalStack use them).
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"
TASK_FAILED = "States.TaskFailed"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE = "States.NoChoiceMatched"


@dataclass(frozen=True)
class TaskContext:
    """What a task handler may know about the call: where it runs and which attempt it is."""

    execution_name: str
    state: str
    attempt: int  # 0 for the first call, then 1, 2... on retries


class TaskHandler(Protocol):
    def __call__(self, resource: str, parameters: Any, task: TaskContext) -> Any: ...


@dataclass(frozen=True)
class HistoryEvent:
    id: int
    timestamp: str
    type: str
    state: Optional[str] = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "type": self.type,
            "state": self.state,
            "details": dict(self.details),
        }


@dataclass
class Execution:
    """The outcome of one execution."""

    name: str
    status: str  # SUCCEEDED | FAILED
    output: Any = None
    error: Optional[str] = None
    cause: Optional[str] = None
    events: list[HistoryEvent] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def entered_states(self) -> list[str]:
        """State names in the order they were entered (branches interleave)."""
        return [e.state for e in self.events if e.type.endswith("StateEntered") and e.state]


class _History:
    """Thread-safe event list, passed on to an optional sink as each event happens."""

    def __init__(self, sink: Optional[Callable[[HistoryEvent], None]]) -> None:
        self.events: list[HistoryEvent] = []
        self._sink = sink
        self._lock = threading.Lock()

    def add(self, kind: str, state: Optional[str] = None, **details: Any) -> None:
        with self._lock:
            event = HistoryEvent(len(self.events) + 1, _now(), kind, state, details)
            self.events.append(event)
            if self._sink is not None:
                self._sink(event)


class LocalExecutor:
    """Runs a state machine with local task handlers.

    Parameters
    ----------
    machine
        The checked definition.
    tasks
        Serves every Task: called with (resource, effective parameters, TaskContext); it
        raises :class:`StatesError` with the error name Retry/Catch match on.
    max_concurrency
        Parallel branches running at once (Step Functions runs them all; one laptop should
        not run four notebook kernels on two cores).
    sleep
        Waits between retries (``time.sleep``; tests pass a recorder).
    on_event
        Called with each history event as it is recorded.
    """

    def __init__(
        self,
        machine: StateMachine,
        tasks: TaskHandler,
        *,
        name: str = "ecom-pipeline",
        max_concurrency: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Optional[Callable[[HistoryEvent], None]] = None,
    ) -> None:
        self.machine = machine
        self.tasks = tasks
        self.name = name
        self.max_concurrency = max(1, max_concurrency)
        self.sleep = sleep
        self.on_event = on_event

    def execute(self, execution_input: Any, execution_name: str) -> Execution:
        """Run to the end; a failure is an execution with status FAILED, never a raise."""
        history = _History(self.on_event)
        started = _now()
        context = {
            "Execution": {
                "Id": f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{self.name}:"
                f"{execution_name}",
                "Name": execution_name,
                "StartTime": started,
                "Input": execution_input,
            },
            "StateMachine": {
                "Id": f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stateMachine:{self.name}",
                "Name": self.name,
            },
        }
        history.add("ExecutionStarted", input=execution_input)
        run = _Run(self, history, context, execution_name)
        try:
            output = run.machine(self.machine, execution_input)
        except StatesError as exc:
            history.add("ExecutionFailed", error=exc.error, cause=exc.cause)
            return Execution(execution_name, "FAILED", None, exc.error, exc.cause, history.events)
        history.add("ExecutionSucceeded", output=output)
        return Execution(execution_name, "SUCCEEDED", output, events=history.events)


class _Run:
    """The state of one execution while it runs."""

    def __init__(
        self, executor: LocalExecutor, history: _History, context: dict[str, Any], name: str
    ) -> None:
        self.executor = executor
        self.history = history
        self.context = context
        self.name = name

    def machine(self, machine: StateMachine, data: Any, cancelled: Any = None) -> Any:
        """Run states from StartAt until a terminal state; returns its output."""
        name: Optional[str] = machine.start_at
        while name is not None:
            if cancelled is not None and cancelled.is_set():
                raise StatesError(BRANCH_FAILED, "another branch of the Parallel state failed")
            state = machine.states[name]
            kind = state["Type"]
            context = {
                **self.context,
                "State": {"Name": name, "EnteredTime": _now(), "RetryCount": 0},
            }
            self.history.add(f"{kind}StateEntered", name, input=data)
            if kind == "Fail":
                raise StatesError(state.get("Error", "States.Fail"), state.get("Cause", ""))
            data, following = self.state(name, state, data, context, cancelled)
            self.history.add(f"{kind}StateExited", name, output=data)
            name = following
        return data

    def state(
        self,
        name: str,
        state: Mapping[str, Any],
        data: Any,
        context: Mapping[str, Any],
        cancelled: Any,
    ) -> tuple[Any, Optional[str]]:
        """Run one state; returns (output, next state name or None at the end)."""
        kind = state["Type"]
        effective = _input_path(data, state)
        if kind == "Choice":
            target = _choose(state, effective, context)
            return _output_path(effective, state, context), target
        if kind == "Succeed":
            return _output_path(effective, state, context), None
        if kind == "Pass":
            if "Parameters" in state:
                result = apply_template(state["Parameters"], effective, context)
            else:
                result = state.get("Result", effective)
            return self._finish(state, data, result, context), _next(state)
        try:
            result = self._with_retries(name, state, effective, context, cancelled)
        except StatesError as exc:
            catcher = _matching(state.get("Catch", ()), exc.error)
            if catcher is None:
                raise
            self.history.add(
                "CatchTaken", name, error=exc.error, cause=exc.cause, next=catcher["Next"]
            )
            caught = {"Error": exc.error, "Cause": exc.cause}
            path = catcher.get("ResultPath", "$")
            return (data if path is None else write_path(data, path, caught)), catcher["Next"]
        return self._finish(state, data, result, context), _next(state)

    def _finish(
        self, state: Mapping[str, Any], raw_input: Any, result: Any, context: Mapping[str, Any]
    ) -> Any:
        if "ResultSelector" in state:
            result = apply_template(state["ResultSelector"], result, context)
        path = state.get("ResultPath", "$")
        combined = raw_input if path is None else write_path(raw_input, path, result)
        return _output_path(combined, state, context)

    def _with_retries(
        self,
        name: str,
        state: Mapping[str, Any],
        effective: Any,
        context: Mapping[str, Any],
        cancelled: Any,
    ) -> Any:
        attempts: dict[int, int] = {}
        retry_count = 0
        while True:
            state_context = {**context, "State": {**context["State"], "RetryCount": retry_count}}
            try:
                if state["Type"] == "Parallel":
                    return self._parallel(name, state, effective, state_context, cancelled)
                return self._task(name, state, effective, state_context, retry_count)
            except StatesError as exc:
                index, retrier = _matching_retrier(state.get("Retry", ()), exc.error)
                if retrier is None or (cancelled is not None and cancelled.is_set()):
                    raise
                done = attempts.get(index, 0)
                if done >= int(retrier.get("MaxAttempts", 3)):
                    raise
                delay = (
                    float(retrier.get("IntervalSeconds", 1))
                    * float(retrier.get("BackoffRate", 2.0)) ** done
                )
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, float(retrier["MaxDelaySeconds"]))
                attempts[index] = done + 1
                retry_count += 1
                self.history.add(
                    "RetryScheduled",
                    name,
                    error=exc.error,
                    attempt=retry_count,
                    delay_seconds=delay,
                )
                self.executor.sleep(delay)
                if cancelled is not None and cancelled.is_set():
                    raise StatesError(
                        BRANCH_FAILED, "another branch of the Parallel state failed"
                    ) from exc

    def _task(
        self,
        name: str,
        state: Mapping[str, Any],
        effective: Any,
        context: Mapping[str, Any],
        attempt: int,
    ) -> Any:
        parameters = (
            apply_template(state["Parameters"], effective, context)
            if "Parameters" in state
            else effective
        )
        resource = state["Resource"]
        self.history.add("TaskScheduled", name, resource=resource, parameters=parameters)
        try:
            # Copies both ways: on AWS a task gets and returns JSON, never shared objects.
            result = self.executor.tasks(
                resource, copy.deepcopy(parameters), TaskContext(self.name, name, attempt)
            )
            result = copy.deepcopy(result)
        except StatesError as exc:
            self.history.add("TaskFailed", name, error=exc.error, cause=exc.cause)
            raise
        except Exception as exc:
            cause = json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})
            self.history.add("TaskFailed", name, error=TASK_FAILED, cause=cause)
            raise StatesError(TASK_FAILED, cause) from exc
        self.history.add("TaskSucceeded", name, output=result)
        return result

    def _parallel(
        self,
        name: str,
        state: Mapping[str, Any],
        effective: Any,
        context: Mapping[str, Any],
        cancelled_outer: Any,
    ) -> list[Any]:
        branch_input = (
            apply_template(state["Parameters"], effective, context)
            if "Parameters" in state
            else effective
        )
        branches = [StateMachine.from_definition(b) for b in state["Branches"]]
        cancelled = _Cancelled(cancelled_outer)
        failures: list[StatesError] = []  # in the order the branches failed
        self.history.add("ParallelStateStarted", name, branches=len(branches))

        def run_branch(branch: StateMachine) -> Any:
            try:
                return self.machine(branch, branch_input, cancelled)
            except StatesError as exc:
                failures.append(exc)
                cancelled.set()
                raise

        with ThreadPoolExecutor(max_workers=self.executor.max_concurrency) as pool:
            futures = [pool.submit(run_branch, branch) for branch in branches]
        if failures:
            # The first branch to fail stopped the others: its error is the Parallel's.
            failure = failures[0]
            self.history.add("ParallelStateFailed", name, error=failure.error, cause=failure.cause)
            raise StatesError(failure.error, failure.cause)
        self.history.add("ParallelStateSucceeded", name)
        return [future.result() for future in futures]


# --- helpers -------------------------------------------------------------------------------


class _Cancelled:
    """Set when a branch of this Parallel state failed, or when an enclosing one was stopped."""

    def __init__(self, outer: Optional[_Cancelled]) -> None:
        self._event = threading.Event()
        self._outer = outer

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set() or (self._outer is not None and self._outer.is_set())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _next(state: Mapping[str, Any]) -> Optional[str]:
    return None if state.get("End") else state["Next"]


def _input_path(data: Any, state: Mapping[str, Any]) -> Any:
    path = state.get("InputPath", "$")
    return {} if path is None else read_path(data, path, {})


def _output_path(data: Any, state: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    path = state.get("OutputPath", "$")
    return {} if path is None else read_path(data, path, context)


def _error_matches(error: str, equals: list[str]) -> bool:
    if error == RUNTIME:  # never retried nor caught, as on AWS
        return False
    if error in equals or "States.ALL" in equals:
        return True
    return "States.TaskFailed" in equals and error != "States.Timeout"


def _matching(rules: Any, error: str) -> Optional[Mapping[str, Any]]:
    return next((r for r in rules if _error_matches(error, r["ErrorEquals"])), None)


def _matching_retrier(rules: Any, error: str) -> tuple[int, Optional[Mapping[str, Any]]]:
    for index, rule in enumerate(rules):
        if _error_matches(error, rule["ErrorEquals"]):
            return index, rule
    return -1, None


def _choose(state: Mapping[str, Any], data: Any, context: Mapping[str, Any]) -> str:
    for rule in state["Choices"]:
        if _rule_holds(rule, data, context):
            return str(rule["Next"])
    if "Default" in state:
        return str(state["Default"])
    raise StatesError(NO_CHOICE, "no choice rule matched and there is no Default")


def _rule_holds(rule: Mapping[str, Any], data: Any, context: Mapping[str, Any]) -> bool:
    if "And" in rule:
        return all(_rule_holds(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(_rule_holds(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not _rule_holds(rule["Not"], data, context)
    operator = next(k for k in rule if k not in ("Variable", "Next"))
    expected = rule[operator]
    if operator == "IsPresent":
        try:
            read_path(data, rule["Variable"], context)
        except StatesError:
            return not expected
        return bool(expected)
    value = read_path(data, rule["Variable"], context)
    if operator.endswith("Path"):
        operator, expected = operator[:-4], read_path(data, expected, context)
    return _compare(operator, value, expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string_matches(value: str, pattern: str) -> bool:
    """ASL StringMatches: only ``*`` is a wildcard; ``\\*`` and ``\\\\`` are literal."""
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    regex = "".join(
        ".*" if part == "*" else re.escape(part[1:] if part in ("\\\\", "\\*") else part)
        for part in parts
    )
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _compare(operator: str, value: Any, expected: Any) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "IsNull": lambda: (value is None) == expected,
        "IsString": lambda: isinstance(value, str) == expected,
        "IsNumeric": lambda: _is_number(value) == expected,
        "IsBoolean": lambda: isinstance(value, bool) == expected,
        "StringMatches": lambda: isinstance(value, str) and _string_matches(value, expected),
        "BooleanEquals": lambda: isinstance(value, bool) and value == expected,
    }
    if operator in checks:
        return checks[operator]()
    kind = "String" if operator.startswith("String") else "Numeric"
    same_type = (
        isinstance(value, str) and isinstance(expected, str)
        if kind == "String"
        else _is_number(value) and _is_number(expected)
    )
    if not same_type:  # a value of another type (possibly from a ...Path) never compares
        return False
    relation = operator[len(kind) :]
    return {
        "Equals": value == expected,
        "LessThan": value < expected,
        "GreaterThan": value > expected,
        "LessThanEquals": value <= expected,
        "GreaterThanEquals": value >= expected,
    }[relation]
