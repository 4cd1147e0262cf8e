"""The run lease of an S3 lake (DynamoDB on moto): one holder, expiry, release by the holder."""

from __future__ import annotations

import threading
import uuid

import pytest

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.storage._lease import DynamoDBLease
from tests.moto_server import MotoServer

#: The AWS target's tests (a moto server): `make test-aws`.
pytestmark = pytest.mark.aws


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def lock_table(moto_server: MotoServer) -> str:
    """A lock table shaped as terraform/modules/ledger creates it."""
    name = f"lock-{uuid.uuid4().hex[:8]}"
    moto_server.client("dynamodb").create_table(  # type: ignore[attr-defined]
        TableName=name,
        KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_one_holder_at_a_time_and_the_refusal_names_it(moto_server: MotoServer) -> None:
    clock = Clock()
    table = lock_table(moto_server)
    first, second = DynamoDBLease(table, clock=clock), DynamoDBLease(table, clock=clock)
    assert first.acquire("run r1", seconds=600) is None
    refusal = second.acquire("run r2", seconds=600)
    assert refusal is not None and refusal.startswith("run r1 (until ")
    assert first.acquire("run r1", seconds=900) is None  # the holder extends its lease
    assert not second.release("run r2")  # only the holder gives it back
    assert first.release("run r1")
    assert second.acquire("run r2", seconds=600) is None


def test_an_expired_lease_is_taken_over(moto_server: MotoServer) -> None:
    clock = Clock()
    table = lock_table(moto_server)
    dead, alive = DynamoDBLease(table, clock=clock), DynamoDBLease(table, clock=clock)
    assert dead.acquire("run r1", seconds=60) is None
    clock.now += 61
    assert dead.holder() is None
    assert alive.acquire("run r2", seconds=60) is None
    assert not dead.release("run r1")  # too late: it is r2's now
    assert alive.holder() is not None


def test_of_runs_racing_for_a_free_lease_one_wins(moto_server: MotoServer) -> None:
    table = lock_table(moto_server)
    outcomes: list[str | None] = []
    barrier = threading.Barrier(4)

    def run(n: int) -> None:
        lease = DynamoDBLease(table)
        barrier.wait()
        outcomes.append(lease.acquire(f"run r{n}", seconds=600))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcome is None for outcome in outcomes) == 1


def test_without_a_table_name_the_error_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PIPELINE_LOCK_TABLE", raising=False)
    with pytest.raises(ConfigError, match="PIPELINE_LOCK_TABLE"):
        DynamoDBLease()
