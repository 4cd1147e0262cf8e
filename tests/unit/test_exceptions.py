"""One exception hierarchy: every error the package defines lives in exceptions.py."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pipeline_lib
from pipeline_lib import exceptions
from pipeline_lib.exceptions import ASLError, PipelineError, StatesError
from pipeline_lib.orchestration import asl


def package_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(pipeline_lib.__path__, "pipeline_lib."))


def test_every_exception_the_package_defines_lives_in_exceptions_py() -> None:
    strays = []
    for name in package_modules():
        module = importlib.import_module(name)
        strays += [
            f"{name}.{value.__name__}"
            for _, value in inspect.getmembers(module, inspect.isclass)
            if value.__module__ == name  # defined here, not imported
            and issubclass(value, BaseException)
            and name != exceptions.__name__
        ]
    assert not strays, f"move these to pipeline_lib/exceptions.py: {strays}"


def test_every_error_of_the_hierarchy_is_a_pipeline_error() -> None:
    errors = [
        value
        for _, value in inspect.getmembers(exceptions, inspect.isclass)
        if value.__module__ == exceptions.__name__ and issubclass(value, BaseException)
    ]
    assert len(errors) > 20
    assert [e.__name__ for e in errors if not issubclass(e, PipelineError)] == []
    assert PipelineError.__bases__ == (Exception,)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("pipeline_lib.analytics.data", "NoPublishedDataError"),
        ("pipeline_lib.analytics.reports", "ReportError"),
        ("pipeline_lib.api", "ApiError"),
        ("pipeline_lib.api", "ServeError"),
        ("pipeline_lib.catalog", "PublishConflictError"),
        ("pipeline_lib.catalog", "SchemaEvolutionError"),
        ("pipeline_lib.orchestration.asl", "ASLError"),
        ("pipeline_lib.orchestration.asl", "StatesError"),
        ("pipeline_lib.execution.notebooks", "NotebookError"),
        ("pipeline_lib.quality.checker", "DataQualityException"),
        ("pipeline_lib.query", "QueryBudgetError"),
        ("pipeline_lib.query", "QueryError"),
        ("pipeline_lib.query", "QueryExecutionError"),
        ("pipeline_lib.schemas.coerce", "CoercionError"),
    ],
)
def test_each_error_is_still_importable_where_it_is_raised(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(exceptions, name)


def test_the_state_machine_errors_are_still_importable_from_asl() -> None:
    assert asl.ASLError is ASLError and asl.StatesError is StatesError


def test_a_states_error_keeps_its_step_functions_name_and_cause() -> None:
    error = StatesError("States.TaskFailed", '{"errorMessage": "boom"}')
    with pytest.raises(PipelineError, match=r"^States\.TaskFailed: \{"):
        raise error
    assert (error.error, error.cause) == ("States.TaskFailed", '{"errorMessage": "boom"}')
    assert str(StatesError("States.Timeout")) == "States.Timeout"
