"""Run-level rule: every table version a run wrote has the schema of its contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import pyarrow as pa

from pipeline_lib.jobs import TableVersion
from pipeline_lib.quality._model import RuleResult, critical_rule
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import Lake


def check_table_contracts(lake: Lake, versions: Sequence[TableVersion]) -> list[RuleResult]:
    """Every table version has the columns and types of its contract, in order (critical).

    Columns a feed added beyond its contract may follow the documented ones, nullable: they
    travel from the raw files to the tables built from that dataset (see
    ``pipeline_lib.transform._frames.feed_columns``). A documented column that is missing or
    has another type fails, and so does a table without a contract: whatever is published
    must be documented.
    """
    results: list[RuleResult] = []
    for version in versions:
        name = version.qualified_name
        schema = TABLES.get(name)
        if schema is None:
            results.append(
                critical_rule(
                    "table_contract", name, False, "no contract in pipeline_lib/schemas/_tables.py"
                )
            )
            continue
        keys = [k for k in lake.list_keys(version.zone, version.key) if k.endswith(".parquet")]
        actual = lake.parquet_schema(version.zone, keys[0]) if keys else None
        expected = schema.arrow_schema()
        problems = _contract_differences(actual, expected)
        extras = [] if actual is None else actual.names[len(expected) :]
        if not problems:
            added = f", plus {len(extras)} a feed added: {', '.join(extras)}" if extras else ""
            detail = f"{len(expected)} columns as documented{added}"
            results.append(
                critical_rule("table_contract", name, True, detail, len(expected), len(expected))
            )
            continue
        found = len(actual) if actual is not None else 0
        results.append(
            critical_rule(
                "table_contract",
                name,
                False,
                "differs from contract: " + ", ".join(problems),
                found,
                len(expected),
            )
        )
    return results


def _contract_differences(actual: Optional[pa.Schema], expected: pa.Schema) -> list[str]:
    """What keeps ``actual`` from being ``expected`` followed by nullable extra columns."""
    if actual is None:
        return ["no Parquet files"]
    found = {f.name: f for f in actual}
    problems = []
    for wanted in expected:
        got = found.get(wanted.name)
        if got is None:
            problems.append(f"{wanted.name} {wanted.type} missing")
        elif not got.type.equals(wanted.type):
            problems.append(f"{wanted.name} is {got.type}, not {wanted.type}")
    if not problems and actual.names[: len(expected)] != expected.names:
        problems.append("column order (the documented columns come first, in contract order)")
    for extra in actual:
        if extra.name in expected.names:
            continue
        if extra.name.startswith("_"):
            problems.append(f"internal column {extra.name}")
        elif not extra.nullable:
            problems.append(f"extra column {extra.name} is not nullable")
    return problems
