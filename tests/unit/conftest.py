"""Fixtures shared by the Lambda handlers' tests (``test_handlers_*.py``).

A module that defines a fixture of the same name uses its own (pytest's override rule).
The builders behind them (events, runtimes, the published lake) are in
``tests/handler_events.py``, imported inside the fixtures: this conftest is loaded for
every unit test, and most of them need neither that module nor what it imports (the
orchestration and the lake builder).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipeline_lib.storage import LocalLake

if TYPE_CHECKING:
    from pipeline_lib.handlers import Runtime
    from tests.handler_events import PublishedLake, RecordingStarter


@pytest.fixture
def lake(tmp_path: Path) -> LocalLake:
    """An empty lake in the test's temporary folder."""
    return LocalLake(tmp_path / "lake")


@pytest.fixture
def starter() -> RecordingStarter:
    """Records the executions a trigger starts; refuses a name twice, like Step Functions."""
    from tests.handler_events import RecordingStarter

    return RecordingStarter()


@pytest.fixture
def runtime(lake: LocalLake, starter: RecordingStarter) -> Runtime:
    """A local runtime on ``lake`` whose executions go to ``starter``."""
    from tests.handler_events import runtime_for

    return runtime_for(lake, start_execution=starter)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> PublishedLake:
    """This module's own copy of a lake published by ``build_lake`` (~10 s, once a process)."""
    from tests.handler_events import published_lake

    return published_lake(tmp_path_factory)
