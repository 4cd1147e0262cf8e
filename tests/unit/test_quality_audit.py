"""The audit's entry point: which partitions of a run are new."""

from __future__ import annotations


def test_new_partitions_are_those_the_run_wrote_beside_shared_ones() -> None:
    from pipeline_lib.jobs import TableVersion
    from pipeline_lib.quality.audit import new_partitions
    from pipeline_lib.storage import Zone

    daily = TableVersion(
        Zone.CURATED,
        "transactions",
        "r2",
        10,
        3,
        1,
        partitions={
            "transaction_month=2026-09/part-0.parquet": "r1",
            "transaction_month=2026-10/part-0.parquet": "r2",
        },
    )
    full = TableVersion(
        Zone.CURATED,
        "sessions",
        "r2",
        10,
        1,
        1,
        partitions={
            "session_month=2026-10/part-0.parquet": "r2",
        },
    )
    assert new_partitions([daily, full]) == {"curated.transactions": ["2026-10"]}
