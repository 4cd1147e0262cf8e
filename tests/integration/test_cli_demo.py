from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.integration.conftest import RunCli

pytestmark = pytest.mark.integration

COMMANDS = ["generate", "ingest", "run", "query", "serve", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_with_an_example(run_cli: RunCli, command: str) -> None:
    result = run_cli(command, "--help")
    assert "Example" in result.stdout
    assert "ecom-pipeline" in result.stdout


def test_no_command_prints_the_command_list(run_cli: RunCli) -> None:
    result = run_cli(check=False)
    for command in COMMANDS:
        assert command in result.stdout + result.stderr


def test_demo_lands_every_file_and_a_rerun_processes_nothing_twice(
    run_cli: RunCli, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    args = ("--lake", str(lake), "demo", "--out", str(tmp_path / "data"))
    first = run_cli(*args, "--transactions", "3000", "--end-date", "2026-11-28")
    assert "where everything landed" in first.stdout
    assert str(lake / "raw") in first.stdout.replace("\n", "")

    raw = sorted(p.relative_to(lake / "raw").as_posix() for p in (lake / "raw").rglob("*.*"))
    assert [key.split("/")[0] for key in raw] == [
        "clickstream",
        "products",
        "reviews",
        "transactions",
    ]
    ledger = sqlite3.connect(lake / "_meta" / "ingestion.sqlite")
    statuses = [row[0] for row in ledger.execute("select status from files")]
    ledger.close()
    assert statuses == ["accepted"] * 4

    second = run_cli(*args, "--transactions", "3000", "--end-date", "2026-11-28")
    assert second.stdout.count("duplicate") >= 4
    raw_again = sorted(p.relative_to(lake / "raw").as_posix() for p in (lake / "raw").rglob("*.*"))
    assert raw_again == raw

    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["end_date"] == "2026-11-28"
