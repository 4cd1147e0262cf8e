"""One exception hierarchy: every error the package defines is a PipelineError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pipeline_lib
from pipeline_lib.exceptions import ASLError, PipelineError, StatesError
from pipeline_lib.orchestration import asl


def package_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(pipeline_lib.__path__, "pipeline_lib."))


def test_every_exception_the_package_defines_is_a_pipeline_error() -> None:
    strays = []
    for name in package_modules():
        module = importlib.import_module(name)
        strays += [
            f"{name}.{value.__name__}"
            for _, value in inspect.getmembers(module, inspect.isclass)
            if value.__module__ == name  # defined here, not imported
            and issubclass(value, BaseException)
            and not issubclass(value, PipelineError)
        ]
    assert not strays, f"derive these from pipeline_lib.exceptions.PipelineError: {strays}"


def test_the_state_machine_errors_are_still_importable_from_asl() -> None:
    assert asl.ASLError is ASLError and asl.StatesError is StatesError


def test_a_states_error_keeps_its_step_functions_name_and_cause() -> None:
    error = StatesError("States.TaskFailed", '{"errorMessage": "boom"}')
    with pytest.raises(PipelineError, match=r"^States\.TaskFailed: \{"):
        raise error
    assert (error.error, error.cause) == ("States.TaskFailed", '{"errorMessage": "boom"}')
    assert str(StatesError("States.Timeout")) == "States.Timeout"
