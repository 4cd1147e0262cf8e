from __future__ import annotations

from pathlib import Path

from pipeline_lib.schemas import CONTRACTS
from pipeline_lib.schemas.dictionary import render_dictionary

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "DATA_DICTIONARY.md"


def test_committed_data_dictionary_is_up_to_date() -> None:
    assert DICTIONARY.read_text(encoding="utf-8") == render_dictionary(), (
        "docs/DATA_DICTIONARY.md is stale: run `make docs` and commit it"
    )


def test_dictionary_lists_every_column_and_the_partition_strategy() -> None:
    text = render_dictionary()
    for contract in CONTRACTS.values():
        assert f"## {contract.name}" in text
        for column in contract.columns:
            assert f"| `{column.name}` | {column.dtype} | {column.athena_type} |" in text
    assert "## Zones and partition strategy" in text
    assert "ingest_date=YYYY-MM-DD" in text
