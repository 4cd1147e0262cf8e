"""Both ledgers keep the same promises: SQLite beside a local lake, DynamoDB on AWS (moto).

Entries are keyed by content (sha256), an accepted entry is never replaced, events are
append-only, accepted files come in arrival order; and when two triggers race to accept
the same content, exactly one wins and the other learns it.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.ingestion import FileResult, IngestionLedger, Ledger
from pipeline_lib.ingestion._dynamodb_ledger import DynamoDBLedger
from tests.moto_server import MotoServer

START = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def result(status: str, sha: str = "ab" * 32, dataset: str = "transactions") -> FileResult:
    return FileResult(
        source=Path(f"in/{dataset}.csv"),
        dataset=dataset,
        status=status,
        sha256=sha,
        size_bytes=10,
        rows_read=3,
        rows_accepted=3,
    )


def dynamodb_table(moto_server: MotoServer) -> str:
    """A ledger table shaped as terraform/modules/ledger creates it."""
    name = f"ledger-{uuid.uuid4().hex[:8]}"
    moto_server.client("dynamodb").create_table(  # type: ignore[attr-defined]
        TableName=name,
        KeySchema=[
            {"AttributeName": "sha256", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "sha256", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(params=["sqlite", "dynamodb"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        with IngestionLedger(tmp_path / "ledger.sqlite") as local:
            yield local
    else:
        table = dynamodb_table(request.getfixturevalue("moto_server"))
        with DynamoDBLedger(table) as remote:
            yield remote


def test_entries_are_found_by_content(ledger: Ledger) -> None:
    assert ledger.get("00" * 32) is None
    assert ledger.record(result("accepted"), at=START)
    entry = ledger.get("ab" * 32)
    assert entry is not None
    assert (entry.status, entry.dataset, entry.rows_accepted) == ("accepted", "transactions", 3)
    assert entry.source_path == str(Path("in/transactions.csv").resolve())
    assert entry.ingested_at == START.isoformat()


def test_a_quarantined_entry_can_be_accepted_later_but_never_the_reverse(ledger: Ledger) -> None:
    assert ledger.record(result("quarantined"), at=START)
    assert ledger.record(result("accepted"), at=START + dt.timedelta(hours=1))
    assert not ledger.record(result("quarantined"), at=START + dt.timedelta(hours=2))
    entry = ledger.get("ab" * 32)
    assert entry is not None and entry.status == "accepted"
    assert [e["status"] for e in ledger.events()] == ["quarantined", "accepted", "quarantined"]


def test_accepted_files_come_in_arrival_order_per_dataset(ledger: Ledger) -> None:
    ledger.record(result("accepted", sha="02" * 32), at=START + dt.timedelta(hours=2))
    ledger.record(result("accepted", sha="01" * 32), at=START + dt.timedelta(hours=1))
    ledger.record(result("quarantined", sha="03" * 32), at=START)
    ledger.record(result("accepted", sha="04" * 32, dataset="reviews"), at=START)
    assert [e.sha256 for e in ledger.accepted_files("transactions")] == ["01" * 32, "02" * 32]
    assert ledger.known_paths() == {
        str(Path("in/transactions.csv").resolve()),
        str(Path("in/reviews.csv").resolve()),
    }


def test_a_result_without_a_hash_is_only_an_event(ledger: Ledger) -> None:
    unreadable = FileResult(
        source=Path("in/huge.csv"),
        status="quarantined",
        sha256=None,
        size_bytes=10,
        check="size_limit",
    )
    ledger.record(unreadable)
    assert [(e["sha256"], e["check"]) for e in ledger.events()] == [(None, "size_limit")]


def test_two_triggers_accepting_the_same_content_at_once_have_one_winner(
    moto_server: MotoServer,
) -> None:
    table = dynamodb_table(moto_server)
    outcomes: list[bool] = []
    barrier = threading.Barrier(4)

    def trigger(n: int) -> None:
        with DynamoDBLedger(table) as own:  # each trigger is its own Lambda
            barrier.wait()
            outcomes.append(own.record(result("accepted"), at=START + dt.timedelta(seconds=n)))

    threads = [threading.Thread(target=trigger, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
    with DynamoDBLedger(table) as ledger:
        assert len(ledger.accepted_files("transactions")) == 1
        assert len(ledger.events()) == 4


def test_without_a_table_name_the_error_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PIPELINE_LEDGER_TABLE", raising=False)
    with pytest.raises(ConfigError, match="PIPELINE_LEDGER_TABLE"):
        DynamoDBLedger()
