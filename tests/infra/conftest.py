"""The infra tests: the environment roots applied to a moto server (``make test-infra``).

Tests marked ``infra`` apply terraform/environments/dev to a local moto server once per
module (about two minutes) and destroy it at the end. ``make test-infra`` runs them with
``ECOM_PIPELINE_INFRA_TESTS=1``; the plain ``pytest`` of ``make test`` skips them, so they do
not run twice (``make test`` runs ``make test-infra`` first). The other tests of this folder
are quick, offline checks of the roots and run everywhere.

The apply, assertion and destroy times are printed at the end of the session.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

INFRA_ENV = "ECOM_PIPELINE_INFRA_TESTS"

# Filled by the fixtures and tests of test_dev_environment.py, printed by the summary hook.
TIMINGS: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "infra: applies an environment root to a local moto server (make test-infra)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(INFRA_ENV) == "1":
        if shutil.which("terraform") is None:
            skip = pytest.mark.skip(reason="terraform is not installed")
        else:
            return
    else:
        skip = pytest.mark.skip(
            reason=f"applies dev to a moto server: make test-infra ({INFRA_ENV}=1)"
        )
    for item in items:
        if item.get_closest_marker("infra") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("terraform on the moto server")
    for name, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{name:<28} {seconds:6.1f} s")
