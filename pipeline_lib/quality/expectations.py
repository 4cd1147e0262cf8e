"""Great Expectations suites generated from the data contracts, and their validation.

The suites are code: :func:`build_suite` turns a table's contract (:data:`schemas.TABLES`)
into a ``gx.ExpectationSuite`` at run time (types, not-null, business-key uniqueness,
allowed values, ranges, regex patterns, row-count bounds), so a contract change is a suite
change. :func:`suites_to_json` exports them for review.

:func:`validate_tables` validates the small tables whole and a deterministic sample
(``quality.gx_sample_rows``) of the big facts, in pandas through an ephemeral GX context;
the exhaustive checks of the big facts run as SQL (``DataQualityChecker.contract_rules``).
Each expectation result becomes a :class:`RuleResult` (rule = expectation type); the full
validation results go to ``<lake>/_meta/runs/<run_id>/gx/<table>.json``.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

import pandas as pd

from pipeline_lib._startup import skip_iri_format_checker
from pipeline_lib.quality._keys import business_key, contract, partition_filter, table_name
from pipeline_lib.quality._model import CRITICAL, RuleResult, outcome
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.schemas import CONTRACTS, TABLES, Column
from pipeline_lib.storage import Lake, Zone

logger = logging.getLogger(__name__)

#: Pandas dtype names (or per-value type names for object columns) of each logical type.
TYPE_LISTS: dict[str, list[str]] = {
    "string": ["str", "string", "object", "StringDtype"],
    "int64": ["int64", "Int64", "int32", "Int32"],
    "float64": ["float64", "Float64"],
    "date": ["object", "date", "datetime64[us]", "datetime64[ns]", "datetime64[ms]"],
    "timestamp": ["Timestamp", "datetime64[us, UTC]", "datetime64[ns, UTC]", "DatetimeTZDtype"],
    "bool": ["bool", "boolean"],
}


_CONTEXT: list[Any] = []
_IMPORTING: list[threading.Thread] = []


def import_in_background() -> None:
    """Start importing Great Expectations in a thread, once per process.

    The import takes about 3 s of pure Python; an audit starts it first and runs its SQL
    rules meanwhile (DuckDB releases the GIL while it works), about 1 s less per audit at
    1M transactions. :func:`gx_context` waits for it.
    """
    if _IMPORTING or "great_expectations" in sys.modules:
        return
    thread = threading.Thread(target=_import_gx, name="import-great-expectations", daemon=True)
    _IMPORTING.append(thread)
    thread.start()


def _import_gx() -> None:
    skip_iri_format_checker()  # a second of the import, for a checker GX never uses
    try:
        import great_expectations  # noqa: F401
    except Exception:  # gx_context imports it again and raises where it is used
        logger.debug("importing great_expectations in the background failed", exc_info=True)


def gx_context() -> Any:
    """The process's ephemeral GX context (created once, progress bars off)."""
    for thread in _IMPORTING:
        thread.join()
    if not _CONTEXT:
        skip_iri_format_checker()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _CONTEXT.append(context)
    return _CONTEXT[0]


def is_big_fact(table: str) -> bool:
    """Partitioned facts (transactions, clickstream, sessions) are validated on a sample."""
    return contract(table).partition_column is not None


def _column_expectations(column: Column, *, raw: bool = False) -> list[Any]:
    import great_expectations as gx

    expect = gx.expectations
    found: list[Any] = [expect.ExpectColumnToExist(column=column.name)]
    if not raw:  # raw feeds are text until coerced; their types are checked at ingestion
        found.append(
            expect.ExpectColumnValuesToBeInTypeList(
                column=column.name, type_list=TYPE_LISTS[column.dtype]
            )
        )
    if not column.nullable:
        found.append(expect.ExpectColumnValuesToNotBeNull(column=column.name))
    if column.allowed_values and not column.normalized:
        found.append(
            expect.ExpectColumnValuesToBeInSet(
                column=column.name, value_set=list(column.allowed_values)
            )
        )
    if (column.min_value is not None or column.max_value is not None) and not raw:
        found.append(
            expect.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=column.min_value, max_value=column.max_value
            )
        )
    if column.pattern:
        found.append(
            expect.ExpectColumnValuesToMatchRegex(column=column.name, regex=column.pattern)
        )
    return found


def build_suite(
    table: str, *, min_rows: Optional[int] = None, max_rows: Optional[int] = None
) -> Any:
    """The ``gx.ExpectationSuite`` of a contract table (``processed.x`` / ``curated.x``).

    Parameters
    ----------
    table
        Qualified table name in :data:`schemas.TABLES`.
    min_rows, max_rows
        Row-count bounds (from ``quality.row_counts``); no row-count expectation when both
        are None.
    """
    import great_expectations as gx

    gx_context()  # suites live in a context
    # Built in one go: adding expectations one by one compares each with all the others.
    return gx.ExpectationSuite(
        name=table, expectations=_expectations(table, min_rows=min_rows, max_rows=max_rows)
    )


def _expectations(
    table: str, *, min_rows: Optional[int] = None, max_rows: Optional[int] = None
) -> list[Any]:
    """The expectations of a contract table's suite, in suite order."""
    import great_expectations as gx

    expect = gx.expectations
    schema = contract(table)
    found = [e for column in schema.columns for e in _column_expectations(column)]
    key = business_key(table)
    if len(key) == 1:
        found.append(expect.ExpectColumnValuesToBeUnique(column=key[0]))
    elif key:
        found.append(expect.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
    if min_rows is not None or max_rows is not None:
        found.append(expect.ExpectTableRowCountToBeBetween(min_value=min_rows, max_value=max_rows))
    return found


def build_raw_suite(dataset: str) -> Any:
    """The suite of a raw feed (``raw.<dataset>``): required values, key, sets, patterns."""
    import great_expectations as gx

    gx_context()
    expect = gx.expectations
    feed = CONTRACTS[dataset]
    suite = gx.ExpectationSuite(name=f"raw.{dataset}")
    for column in feed.columns:
        for expectation in _column_expectations(column, raw=True):
            suite.add_expectation(expectation)
    if len(feed.business_key) == 1:
        suite.add_expectation(expect.ExpectColumnValuesToBeUnique(column=feed.business_key[0]))
    return suite


def suites_to_json(min_rows: Optional[Mapping[str, int]] = None) -> dict[str, Any]:
    """Every suite (processed, curated and raw) as JSON-ready dicts, by name."""
    bounds = min_rows or {}
    suites = {t: build_suite(t, min_rows=bounds.get(t)) for t in TABLES}
    suites.update({f"raw.{d}": build_raw_suite(d) for d in CONTRACTS})
    return {name: suite.to_json_dict() for name, suite in suites.items()}


def sample_sql(
    table: str, rows: int, dialect: str = "duckdb", partitions: Optional[Sequence[str]] = None
) -> str:
    """A deterministic sample of ``rows`` rows (DuckDB reservoir with a fixed seed).

    ``partitions`` (values of the table's partition column) limits the sample to them.
    """
    name = table_name(table)
    where = partition_filter(table, partitions)
    if where:
        name = f"(SELECT * FROM {name}{where}) AS run_partitions"
    if dialect == "athena":  # Athena has no seeded sampling: the first rows of a scan
        return f"SELECT * FROM {name} LIMIT {int(rows)}"
    return f"SELECT * FROM {name} USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE (42)"


def _observed(result: Mapping[str, Any]) -> Any:
    if "unexpected_count" in result:
        return {
            "unexpected_count": result.get("unexpected_count"),
            "unexpected_percent": round(float(result.get("unexpected_percent") or 0.0), 4),
        }
    return result.get("observed_value")


def _threshold(kwargs: Mapping[str, Any]) -> Any:
    for key in ("value_set", "regex", "type_list"):
        if key in kwargs:
            return kwargs[key]
    if "min_value" in kwargs or "max_value" in kwargs:
        return f"[{kwargs.get('min_value')}, {kwargs.get('max_value')}]"
    return 0 if "column" in kwargs or "column_list" in kwargs else None


def to_rule_results(
    table: str, validation: Any, *, sampled_rows: Optional[int]
) -> list[RuleResult]:
    """One RuleResult per expectation result of a GX validation (critical)."""
    results = []
    where = f" (sample of {sampled_rows:,} rows)" if sampled_rows is not None else ""
    for item in validation.results:
        config = item.expectation_config
        kwargs = dict(config.kwargs)
        column = kwargs.get("column") or (
            ", ".join(kwargs["column_list"]) if "column_list" in kwargs else None
        )
        if item.exception_info and item.exception_info.get("raised_exception"):
            detail = "expectation raised: " + str(item.exception_info.get("exception_message"))
        else:
            detail = f"great expectations{where}"
        results.append(
            RuleResult(
                rule=str(config.type),
                table=table,
                severity=CRITICAL,
                status=outcome(bool(item.success), CRITICAL),
                observed=_json_safe(_observed(item.result or {})),
                threshold=_json_safe(_threshold(kwargs)),
                column=column,
                detail=detail,
            )
        )
    return results


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _for_gx(frame: pd.DataFrame) -> pd.DataFrame:
    """Text and zoned timestamps as object columns: GX 1.24 compares the dtypes of pandas'
    string and tz-aware columns wrongly, and checks object columns value by value."""
    converted = {
        name: frame[name].astype(object)
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, (pd.StringDtype, pd.DatetimeTZDtype)) or str(dtype) == "str"
    }
    return frame.assign(**converted) if converted else frame


#: Rows the type expectations look at: GX checks object columns value by value, so the
#: text and timestamp columns are converted for a head of the frame only.
TYPE_CHECK_ROWS = 1_000
_TYPE_EXPECTATION = "expect_column_values_to_be_in_type_list"


def validate_frame(
    table: str,
    frame: pd.DataFrame,
    *,
    min_rows: Optional[int] = None,
    sampled_rows: Optional[int] = None,
    context: Any = None,
) -> tuple[list[RuleResult], dict[str, Any]]:
    """Validate ``frame`` against the suite of ``table``: rule results and the GX JSON.

    The type expectations run on the first :data:`TYPE_CHECK_ROWS` rows (pandas' string
    and zoned timestamp columns converted to objects, which GX 1.24 needs to compare them);
    every other expectation runs on the whole frame.
    """
    import great_expectations as gx

    context = context or gx_context()
    source = context.data_sources.add_or_update_pandas(f"quality-{table}")
    batch_definition = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe(
        table
    )
    gx_context()
    expectations = _expectations(table, min_rows=None if sampled_rows is not None else min_rows)
    types = gx.ExpectationSuite(
        name=f"{table}.types",
        expectations=[e for e in expectations if e.expectation_type == _TYPE_EXPECTATION],
    )
    values = gx.ExpectationSuite(
        name=table,
        expectations=[e for e in expectations if e.expectation_type != _TYPE_EXPECTATION],
    )
    results: list[RuleResult] = []
    documents = []
    for part, data in ((values, frame), (types, _for_gx(frame.head(TYPE_CHECK_ROWS)))):
        batch = batch_definition.get_batch(batch_parameters={"dataframe": data})
        validation = batch.validate(part, result_format="BASIC")
        results.extend(to_rule_results(table, validation, sampled_rows=sampled_rows))
        documents.append(validation.to_json_dict())
    document = {
        "table": table,
        "success": all(d["success"] for d in documents),
        "rows": len(frame),
        "sampled": sampled_rows is not None,
        "validations": documents,
    }
    return results, document


def validate_tables(
    runner: SqlRunner,
    tables: Iterable[str],
    *,
    sample_rows: int = 50_000,
    min_rows: Optional[Mapping[str, int]] = None,
    lake: Optional[Lake] = None,
    run_id: Optional[str] = None,
    partitions: Optional[Mapping[str, Sequence[str]]] = None,
) -> list[RuleResult]:
    """Run the GX suite of every table on at most ``sample_rows`` rows (seeded sample).

    ``partitions`` maps a partitioned table to the partitions a daily run rewrote: its
    sample comes from those (the others were validated when they were published), as the
    exhaustive SQL rules do. Writes each validation result to
    ``<lake>/_meta/runs/<run_id>/gx/<table>.json`` when ``lake`` and ``run_id`` are given.
    """

    bounds = min_rows or {}
    context = gx_context()
    dialect = str(getattr(runner, "dialect", "duckdb"))
    results: list[RuleResult] = []
    for table in tables:
        # Every table is capped at sample_rows (a smaller table comes whole): GX in pandas
        # costs ~0.5 s per 100k rows, and every row is checked exhaustively in SQL anyway.
        scope = (partitions or {}).get(table)
        frame = runner.query(sample_sql(table, sample_rows, dialect, scope))
        # A sample, or a daily run's partitions, is part of the table: its row count says
        # nothing of the table's (the SQL row_count rule counts every row).
        sampled = scope is not None or len(frame) >= sample_rows
        frame = frame[[c for c in frame.columns if c in contract(table).column_names]]
        rules, document = validate_frame(
            table,
            frame,
            min_rows=bounds.get(table),
            sampled_rows=len(frame) if sampled else None,
            context=context,
        )
        results.extend(rules)
        if lake is not None and run_id is not None:
            lake.write_bytes(
                Zone.META,
                f"runs/{run_id}/gx/{table}.json",
                json.dumps(document, indent=2, default=str).encode(),
            )
        logger.info("gx %s: %d expectations on %d rows", table, len(rules), len(frame))
    return results
