"""publish_curated (PublishCuratedData): the run's staged tables go live, all at once."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline_lib.catalog import LocalCatalog, read_published
from pipeline_lib.exceptions import PermanentError
from pipeline_lib.handlers import publish_curated
from pipeline_lib.jobs import version_key, write_table
from pipeline_lib.storage import Zone
from tests.handler_events import (
    PublishedLake,
    live_rows,
    published_lake,
    selected_fields,
    state_payload,
)

pytestmark = pytest.mark.slow

STATE = "PublishCuratedData"


def payload(run_id: str, as_of: str = "2026-11-28") -> dict[str, object]:
    return state_payload(STATE, run_id, as_of)


def live_table(built: PublishedLake, zone: Zone, name: str) -> pa.Table:
    folder = built.lake.path(zone, version_key(name, built.run_id))
    return pa.concat_tables([pq.read_table(p) for p in sorted(folder.rglob("*.parquet"))])


def test_publishing_the_published_run_again_changes_nothing(built: PublishedLake) -> None:
    before = read_published(built.lake)
    rows_before = live_rows(built.lake, "curated.transactions")
    first = publish_curated.handle(payload(built.run_id), built.runtime())
    again = publish_curated.handle(payload(built.run_id), built.runtime())
    json.dumps(first)
    assert selected_fields(STATE) <= set(first)
    assert first == again
    assert sorted(first["published"]) == sorted(before.tables)
    assert first["changes"] == []
    after = read_published(built.lake)
    assert (after.run_id, after.as_of, after.tables) == (before.run_id, before.as_of, before.tables)
    assert live_rows(built.lake, "curated.transactions") == rows_before > 0
    for table, run_id in after.tables.items():  # every live version is still there
        zone, name = table.split(".", 1)
        assert built.lake.path(Zone(zone), version_key(name, run_id)).is_dir(), table


def test_a_run_that_staged_nothing_is_permanent(built: PublishedLake) -> None:
    before = read_published(built.lake)
    with pytest.raises(PermanentError, match="staged no tables"):
        publish_curated.handle(payload("20260101T000000Z-000000"), built.runtime())
    assert read_published(built.lake) == before


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"as_of": "2026-11-28"}, "no 'run_id'"),
        ({"run_id": "x"}, "no 'as_of'"),
        ({"run_id": "x", "as_of": "28/11/2026"}, r"ISO date \(YYYY-MM-DD\), not '28/11/2026'"),
    ],
)
def test_a_bad_payload_is_permanent(
    built: PublishedLake, event: dict[str, object], error: str
) -> None:
    before = read_published(built.lake)
    with pytest.raises(PermanentError, match=error):
        publish_curated.handle(event, built.runtime())
    assert read_published(built.lake) == before


def test_a_breaking_table_stays_live_and_the_rest_is_published(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    built = published_lake(tmp_path_factory)  # its own copy: this publish changes the lake
    run = "20261129T060001Z-b00001"
    write_table(
        built.lake, Zone.CURATED, "products", run, live_table(built, Zone.CURATED, "products")
    )
    dropped = live_table(built, Zone.CURATED, "transactions").drop_columns(["status"])
    write_table(built.lake, Zone.CURATED, "transactions", run, dropped)

    with pytest.raises(PermanentError, match=r"curated\.transactions") as raised:
        publish_curated.handle(payload(run, "2026-11-29"), built.runtime())
    assert "status" in str(raised.value)
    state = read_published(built.lake)
    assert state.run_id == run and state.as_of == "2026-11-29"
    assert state.tables["curated.products"] == run
    assert state.tables["curated.transactions"] == built.run_id  # kept on the live version
    record = json.loads(
        built.lake.read_bytes(Zone.QUARANTINE, f"schema/curated.transactions/run-{run}.error.json")
    )
    assert record["check"] == "schema_evolution" and "status" in record["removed"]
    assert (
        live_rows(built.lake, "curated.transactions")
        == live_table(built, Zone.CURATED, "transactions").num_rows
    )


def test_a_catalog_build_that_fails_publishes_nothing_and_says_so(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = published_lake(tmp_path_factory)  # its own copy: a fix-less publish changes it
    run = "20261129T060001Z-c00001"
    for name in ("products", "transactions"):
        write_table(built.lake, Zone.CURATED, name, run, live_table(built, Zone.CURATED, name))
    published_before = built.lake.read_bytes(Zone.META, "published.json")
    state_before = read_published(built.lake)
    rows_before = live_rows(built.lake, "curated.transactions")
    original = LocalCatalog._register

    def disk_full(self: LocalCatalog, con: Any, qualified: str, *args: Any) -> Any:
        if qualified == "curated.transactions":  # partway: other views are built already
            raise OSError(28, "No space left on device")
        return original(self, con, qualified, *args)

    monkeypatch.setattr(LocalCatalog, "_register", disk_full)

    with pytest.raises(PermanentError, match="not published") as raised:
        publish_curated.handle(payload(run, "2026-11-29"), built.runtime())

    assert run in str(raised.value) and "No space left on device" in str(raised.value)
    assert built.lake.read_bytes(Zone.META, "published.json") == published_before
    assert read_published(built.lake) == state_before
    assert live_rows(built.lake, "curated.transactions") == rows_before > 0
