"""JSONPath as Step Functions reads and writes it."""

from __future__ import annotations

import pytest

from pipeline_lib.orchestration.asl import ASLError, StatesError
from pipeline_lib.orchestration.paths import apply_template, compile_path, read_path, write_path

DATA = {"a": {"b": [{"c": 1}, {"c": 2}]}, "n": None}


def test_definite_paths_give_a_value_and_indefinite_ones_a_list() -> None:
    assert read_path(DATA, "$.a.b[1].c", {}) == 2
    assert read_path(DATA, "$.a.b[*].c", {}) == [1, 2]
    assert read_path(DATA, "$.n", {}) is None
    assert read_path(DATA, "$", {}) is DATA


def test_context_paths_read_the_context_object() -> None:
    assert read_path({}, "$$.Execution.Name", {"Execution": {"Name": "r1"}}) == "r1"


def test_a_missing_definite_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as caught:
        read_path(DATA, "$.a.missing", {})
    assert caught.value.error == "States.Runtime"


def test_templates_resolve_nested_dollar_keys_and_keep_literals() -> None:
    template = {"x.$": "$.a.b[0].c", "nested": {"y.$": "$$.Name", "z": [1, {"w.$": "$.n"}]}}
    assert apply_template(template, DATA, {"Name": "ctx"}) == {
        "x": 1,
        "nested": {"y": "ctx", "z": [1, {"w": None}]},
    }


def test_result_paths_write_a_copy_and_create_missing_objects() -> None:
    original = {"keep": 1, "deep": {"x": 0}}
    written = write_path(original, "$.deep.result.value", 5)
    assert written == {"keep": 1, "deep": {"x": 0, "result": {"value": 5}}}
    assert original == {"keep": 1, "deep": {"x": 0}}
    assert write_path(original, "$", [1]) == [1]


def test_a_result_path_through_a_non_object_is_a_runtime_error() -> None:
    with pytest.raises(StatesError, match="is not an object"):
        write_path({"a": 3}, "$.a.b", 1)
    with pytest.raises(StatesError, match="not an object"):
        write_path([1], "$.a", 1)


def test_text_that_is_not_a_jsonpath_is_an_asl_error() -> None:
    with pytest.raises(ASLError):
        compile_path("a.b")
    with pytest.raises(ASLError):
        compile_path("$.a[")
