"""refresh_athena_tables (RefreshAthenaTables): the catalog follows published.json."""

from __future__ import annotations

import json

import pytest

from pipeline_lib.catalog import CATALOG_KEY, read_published
from pipeline_lib.handlers import refresh_athena_tables
from pipeline_lib.storage import Zone
from tests.handler_events import PublishedLake, live_rows, selected_fields, state_payload

pytestmark = pytest.mark.slow

STATE = "RefreshAthenaTables"


def payload(built: PublishedLake) -> dict[str, object]:
    return state_payload(STATE, built.run_id, built.as_of.isoformat())


def test_reports_the_live_table_count(built: PublishedLake) -> None:
    answer = refresh_athena_tables.handle(payload(built), built.runtime())
    json.dumps(answer)
    assert selected_fields(STATE) <= set(answer)
    assert answer["tables"] == len(read_published(built.lake).tables) > 0
    assert answer["changed"] == []  # the catalog already matched the published tables


def test_a_lost_catalog_is_rebuilt_from_published_json(built: PublishedLake) -> None:
    expected = live_rows(built.lake, "curated.transactions")
    built.lake.path(Zone.META, CATALOG_KEY).unlink()
    answer = refresh_athena_tables.handle(payload(built), built.runtime())
    live = read_published(built.lake).tables
    assert answer["tables"] == len(live)
    assert set(live) <= set(answer["changed"])  # every table registered anew
    assert live_rows(built.lake, "curated.transactions") == expected > 0
    again = refresh_athena_tables.handle(payload(built), built.runtime())
    assert again == {"tables": len(live), "changed": []}  # a retry is harmless


def test_the_run_id_is_informational(built: PublishedLake) -> None:
    answer = refresh_athena_tables.handle({"run_id": "another-run"}, built.runtime())
    assert answer["tables"] == len(read_published(built.lake).tables)
