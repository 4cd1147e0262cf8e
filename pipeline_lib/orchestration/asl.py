"""Amazon States Language: load a definition, fill its template, refuse what we cannot run.

The pipeline's control flow is one ASL file (``terraform/modules/step-functions/
state-machine.json``). Terraform fills its ``${name}`` placeholders with ARNs through
``templatefile()``; the local executor fills them with local resource names. Either way the
states, paths, retries and catches are the same text.

:func:`load_state_machine` checks the whole definition before anything runs: a state type,
field, comparison operator or path the local executor does not implement is an
:class:`ASLError` at load time, never a silent difference at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The two errors live in pipeline_lib.exceptions (paths.py raises them too); importable here.
from pipeline_lib.exceptions import ASLError as ASLError
from pipeline_lib.exceptions import StatesError as StatesError
from pipeline_lib.orchestration.paths import compile_path, is_definite
from pipeline_lib.resources import resource_path

STATE_MACHINE_FILE = resource_path("state_machine") / "state-machine.json"

_COMMON = {"Type", "Comment"}
_IO = {"InputPath", "OutputPath"}
_FLOW = {"Next", "End"}
#: The fields each supported state type may have. Anything else fails the load.
STATE_FIELDS: dict[str, set[str]] = {
    "Task": _COMMON
    | _IO
    | _FLOW
    | {"Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"},
    "Parallel": _COMMON
    | _IO
    | _FLOW
    | {"Branches", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"},
    "Pass": _COMMON | _IO | _FLOW | {"Result", "Parameters", "ResultPath"},
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "Cause"},
}
_MACHINE_FIELDS = {"Comment", "StartAt", "States", "Version"}
_BRANCH_FIELDS = {"Comment", "StartAt", "States"}
_RETRY_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds"}
_CATCH_FIELDS = {"ErrorEquals", "Next", "ResultPath"}

#: Choice comparison operators; each also exists as ``<name>Path`` (compared to a path).
COMPARISONS = {
    "StringEquals",
    "StringLessThan",
    "StringGreaterThan",
    "StringLessThanEquals",
    "StringGreaterThanEquals",
    "NumericEquals",
    "NumericLessThan",
    "NumericGreaterThan",
    "NumericLessThanEquals",
    "NumericGreaterThanEquals",
    "BooleanEquals",
}
#: Operators without a Path form: type tests and glob matching.
TYPE_TESTS = {"IsNull", "IsPresent", "IsString", "IsNumeric", "IsBoolean", "StringMatches"}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Paths written or filtered here (ResultPath, InputPath, OutputPath): $, $.a, $.a.b only.
_REFERENCE_PATH = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class StateMachine:
    """A checked definition: ``states`` by name, starting at ``start_at``."""

    start_at: str
    states: Mapping[str, Mapping[str, Any]]
    comment: str = ""

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any], where: str = "") -> StateMachine:
        _check_keys(definition, _BRANCH_FIELDS | _MACHINE_FIELDS, where or "the state machine")
        states = definition.get("States")
        start = definition.get("StartAt")
        if not isinstance(states, dict) or not states:
            raise ASLError(f"{where or 'the state machine'}: States must be a non-empty object")
        if start not in states:
            raise ASLError(f"{where or 'the state machine'}: StartAt {start!r} is not a state")
        for name, state in states.items():
            _check_state(name, state, states, where)
        return cls(start_at=str(start), states=states, comment=definition.get("Comment", ""))

    def walk(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every state, branches' states included, depth first."""
        for name, state in self.states.items():
            yield name, state
            for branch in state.get("Branches", ()):
                yield from StateMachine.from_definition(branch).walk()


def placeholders(text: str) -> set[str]:
    """The ``${name}`` placeholders of a template."""
    return set(_PLACEHOLDER.findall(text))


def render_template(text: str, variables: Mapping[str, str]) -> str:
    """Fill ``${name}`` placeholders like Terraform's ``templatefile``; all must be given."""
    missing = placeholders(text) - set(variables)
    if missing:
        raise ASLError(f"the template needs values for: {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), text)


def load_state_machine(
    variables: Mapping[str, str], path: Path = STATE_MACHINE_FILE
) -> StateMachine:
    """Read, fill and check the definition at ``path``.

    Raises
    ------
    ASLError
        On a missing placeholder value, invalid JSON, or any unsupported construct.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ASLError(f"cannot read the state machine {path}: {exc}") from exc
    try:
        definition = json.loads(render_template(text, variables))
    except json.JSONDecodeError as exc:
        raise ASLError(f"{path} is not valid JSON: {exc}") from exc
    return StateMachine.from_definition(definition)


# --- checks -------------------------------------------------------------------------------


def _check_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ASLError(
            f"{where}: unsupported field(s) {', '.join(unknown)}: the local "
            "executor does not run them; remove them, or implement them in "
            "pipeline_lib/orchestration (STATE_FIELDS and the executor)"
        )


def _check_state(name: str, state: Any, states: Mapping[str, Any], where: str) -> None:
    here = f"{where}state {name}" if not where else f"{where} > state {name}"
    if not isinstance(state, dict):
        raise ASLError(f"{here}: must be an object")
    kind = state.get("Type")
    if kind not in STATE_FIELDS:
        raise ASLError(
            f"{here}: state type {kind!r} is not supported by the local executor "
            f"(supported: {', '.join(sorted(STATE_FIELDS))})"
        )
    _check_keys(state, STATE_FIELDS[kind], here)
    if kind in ("Task", "Parallel", "Pass"):
        _check_transition(here, state, states)
    if kind == "Task" and not isinstance(state.get("Resource"), str):
        raise ASLError(f"{here}: Task needs a Resource")
    for field in ("InputPath", "OutputPath", "ResultPath"):
        if field in state and state[field] is not None:
            _check_reference_path(state[field], f"{here}: {field}")
    for field in ("Parameters", "ResultSelector"):
        if field in state:
            _check_payload_template(state[field], f"{here}: {field}")
    if kind == "Pass" and "Parameters" in state and "Result" in state:
        raise ASLError(f"{here}: Pass takes Result or Parameters, not both")
    retriers, catchers = state.get("Retry", ()), state.get("Catch", ())
    for index, retrier in enumerate(retriers):
        _check_keys(retrier, _RETRY_FIELDS, f"{here}: Retry")
        _check_error_equals(retrier, f"{here}: Retry", last=index == len(retriers) - 1)
        _check_retrier(retrier, f"{here}: Retry")
    for index, catcher in enumerate(catchers):
        _check_keys(catcher, _CATCH_FIELDS, f"{here}: Catch")
        _check_error_equals(catcher, f"{here}: Catch", last=index == len(catchers) - 1)
        if catcher.get("Next") not in states:
            raise ASLError(f"{here}: Catch goes to unknown state {catcher.get('Next')!r}")
        if catcher.get("ResultPath") is not None:
            _check_reference_path(catcher.get("ResultPath", "$"), f"{here}: Catch ResultPath")
    if kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise ASLError(f"{here}: Parallel needs Branches")
        for index, branch in enumerate(branches):
            StateMachine.from_definition(branch, f"{here} > branch {index}")
    if kind == "Choice":
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            raise ASLError(f"{here}: Choice needs Choices")
        for rule in choices:
            _check_choice_rule(rule, here, top_level=True)
            if rule.get("Next") not in states:
                raise ASLError(f"{here}: choice goes to unknown state {rule.get('Next')!r}")
        if "Default" in state and state["Default"] not in states:
            raise ASLError(f"{here}: Default goes to unknown state {state['Default']!r}")


def _check_transition(here: str, state: Mapping[str, Any], states: Mapping[str, Any]) -> None:
    if state.get("End") is True:
        if "Next" in state:
            raise ASLError(f"{here}: has both Next and End")
        return
    if state.get("Next") not in states:
        raise ASLError(f"{here}: Next {state.get('Next')!r} is not a state (or set End)")


def _check_error_equals(rule: Mapping[str, Any], here: str, *, last: bool) -> None:
    errors = rule.get("ErrorEquals")
    if not isinstance(errors, list) or not errors:
        raise ASLError(f"{here}: ErrorEquals must be a non-empty list")
    if "States.ALL" in errors and errors != ["States.ALL"]:
        raise ASLError(f"{here}: States.ALL must appear alone")
    if "States.ALL" in errors and not last:
        raise ASLError(f"{here}: States.ALL must be in the last rule")


def _check_retrier(retrier: Mapping[str, Any], here: str) -> None:
    for name, least in (("IntervalSeconds", 1), ("MaxAttempts", 0), ("MaxDelaySeconds", 1)):
        value = retrier.get(name, least)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ASLError(f"{here}: {name} must be an integer >= {least}, not {value!r}")
    rate = retrier.get("BackoffRate", 2.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1.0:
        raise ASLError(f"{here}: BackoffRate must be a number >= 1.0, not {rate!r}")


def _check_reference_path(path: Any, here: str) -> None:
    if not isinstance(path, str) or not _REFERENCE_PATH.match(path):
        raise ASLError(f"{here}: {path!r} is not a supported reference path ($ or $.a.b)")


def _check_payload_template(template: Any, here: str) -> None:
    if isinstance(template, dict):
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise ASLError(f"{here}: {key} must be a path string")
                if value.startswith("States."):
                    raise ASLError(
                        f"{here}: {key}: intrinsic functions are not supported; "
                        "compute the value in a handler or a Pass state"
                    )
                if not (value.startswith("$") and _is_path(value)):
                    raise ASLError(f"{here}: {key}: {value!r} is not a supported path")
            else:
                _check_payload_template(value, f"{here}.{key}")
    elif isinstance(template, list):
        for item in template:
            _check_payload_template(item, here)


def _is_path(value: str, *, reference: bool = False) -> bool:
    """A JSONPath (``$$`` reads the context object); ``reference``: one that names one node."""
    path = value[1:] if value.startswith("$$") else value
    try:
        compile_path(path)
    except ASLError:
        return False
    return is_definite(path) or not reference


def _check_choice_rule(rule: Any, here: str, *, top_level: bool) -> None:
    if not isinstance(rule, dict):
        raise ASLError(f"{here}: a choice rule must be an object")
    allowed_extra = {"Next"} if top_level else set()
    if top_level and "Next" not in rule:
        raise ASLError(f"{here}: a top-level choice rule needs Next")
    boolean = [op for op in ("And", "Or", "Not") if op in rule]
    if boolean:
        _check_keys(rule, set(boolean) | allowed_extra, f"{here}: choice rule")
        if len(boolean) != 1:
            raise ASLError(f"{here}: one of And/Or/Not per rule")
        operand = rule[boolean[0]]
        nested = [operand] if boolean[0] == "Not" else operand
        if not isinstance(nested, list) or not nested:
            raise ASLError(f"{here}: {boolean[0]} needs rules")
        for inner in nested:
            _check_choice_rule(inner, here, top_level=False)
        return
    operators = set(rule) - {"Variable"} - allowed_extra
    known = COMPARISONS | {f"{op}Path" for op in COMPARISONS} | TYPE_TESTS
    if len(operators) != 1 or not operators <= known:
        raise ASLError(
            f"{here}: unsupported choice operator(s) {sorted(operators)}; "
            f"supported: {', '.join(sorted(known))}"
        )
    variable = rule.get("Variable")
    if not isinstance(variable, str) or not _is_path(variable, reference=True):
        raise ASLError(f"{here}: choice Variable {variable!r} is not a supported path")
    (operator,) = operators
    operand = rule[operator]
    if operator.endswith("Path"):
        if not isinstance(operand, str) or not _is_path(operand, reference=True):
            raise ASLError(f"{here}: {operator} {operand!r} is not a supported path")
        return
    kind, types = (
        ("a string", (str,))
        if operator.startswith("String")
        else ("a number", (int, float))
        if operator.startswith("Numeric")
        else ("a boolean", (bool,))
    )
    if not isinstance(operand, types) or (kind == "a number" and isinstance(operand, bool)):
        raise ASLError(f"{here}: {operator} needs {kind}, not {operand!r}")
