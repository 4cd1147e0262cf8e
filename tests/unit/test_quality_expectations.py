"""Great Expectations suites of the contracts, and their validation of a frame."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pytest

from pipeline_lib.quality import FAIL, PASS
from pipeline_lib.schemas import TABLES
from tests.unit.test_quality_checker import product


def test_suites_hold_an_expectation_per_contract_rule() -> None:
    from pipeline_lib.quality.expectations import build_suite, suites_to_json

    suite = build_suite("curated.transactions", min_rows=100)
    found = {(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations}
    assert ("expect_column_values_to_not_be_null", "customer_id") in found
    assert ("expect_column_values_to_be_unique", "transaction_id") in found
    assert ("expect_column_values_to_be_between", "quantity") in found
    assert ("expect_column_values_to_be_in_type_list", "transaction_date") in found
    assert ("expect_table_row_count_to_be_between", None) in found
    affinity = build_suite("curated.product_affinity")
    assert "expect_compound_columns_to_be_unique" in {
        e.expectation_type for e in affinity.expectations
    }
    exported = suites_to_json()
    assert set(TABLES) <= set(exported) and "raw.transactions" in exported


def test_gx_validation_finds_the_known_violations() -> None:
    from pipeline_lib.quality.expectations import validate_frame

    frame = pa.Table.from_pylist(
        [product("prod_1"), product("prod_1", price=-1.0), product("bad", category="Toys")],
        schema=TABLES["processed.products"].arrow_schema(),
    ).to_pandas()
    rules, document = validate_frame("processed.products", frame, min_rows=5)
    failed = {(r.rule, r.column): r for r in rules if r.status == FAIL}
    assert set(failed) == {
        ("expect_column_values_to_be_unique", "product_id"),
        ("expect_column_values_to_be_between", "price"),
        ("expect_table_row_count_to_be_between", None),
    }
    assert failed[("expect_column_values_to_be_between", "price")].observed == {
        "unexpected_count": 1,
        "unexpected_percent": pytest.approx(33.3333, abs=1e-3),
    }
    assert failed[("expect_table_row_count_to_be_between", None)].observed == 3
    types = [r for r in rules if r.rule == "expect_column_values_to_be_in_type_list"]
    assert len(types) == 8 and all(r.status == PASS for r in types)
    assert document["success"] is False and document["rows"] == 3
    assert isinstance(pd.DataFrame(frame), pd.DataFrame)


def test_a_daily_runs_sample_comes_from_the_partitions_it_rewrote() -> None:
    from pipeline_lib.quality.expectations import validate_tables
    from tests.unit.quality_frames import FrameRunner, transactions

    lines = transactions().assign(name="x", category_id="c", brand="b")
    lines.loc[lines.index[0], "quantity"] = -1  # a line of August, published long ago

    def failed(partitions: dict[str, list[str]] | None) -> set[str]:
        runner = FrameRunner({"curated.transactions": lines})
        rules = validate_tables(
            runner,
            ["curated.transactions"],
            min_rows={"curated.transactions": 3},
            partitions=partitions,
        )
        return {r.rule for r in rules if r.status == FAIL}

    assert failed(None) == {"expect_column_values_to_be_between"}
    assert failed({"curated.transactions": ["2026-10"]}) == set()
    assert failed({"curated.transactions": ["2026-08", "2026-10"]}) == {
        "expect_column_values_to_be_between"
    }
    # A table the run left untouched: nothing to sample, and its row count is SQL's to judge.
    assert failed({"curated.transactions": []}) == set()


def test_great_expectations_loads_in_the_background_while_sql_runs() -> None:
    script = (
        "import sys, duckdb\n"
        "from pipeline_lib.quality import expectations\n"
        "expectations.import_in_background()\n"
        "duckdb.sql('select sum(i) from range(20000000) t(i)').fetchall()\n"
        "context = expectations.gx_context()\n"
        "print(type(context).__name__, 'great_expectations' in sys.modules,\n"
        "      sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    # Without jsonschema's IRI checker (pipeline_lib/_startup.py): a second less to wait.
    assert done.stdout.split() == ["EphemeralDataContext", "True", "None"]
