"""The DataQualityChecker: row counts, nulls, duplicates, freshness, ranges, references.

Every check is one SQL statement sent through a :class:`~pipeline_lib.quality.SqlRunner`
(DuckDB locally, :class:`~pipeline_lib.quality.AthenaRunner` on AWS). Table and column
names come from the contracts only (:mod:`pipeline_lib.quality._keys`), never from user
input. Each ``check_*`` method returns its figures and raises
:class:`~pipeline_lib.exceptions.DataQualityException` carrying them when the data breaks
the rule; :meth:`DataQualityChecker.evaluate` runs a configured rule without raising and
returns a :class:`RuleResult` for the audit, and :meth:`DataQualityChecker.contract_rules`
checks every contract rule of a big fact exhaustively.

The run-level rules of the audit live beside it: row reconciliation, reject and duplicate
rates (``_accounting_rules``) and the written tables' schemas (``_table_contracts``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional, Union

import pandas as pd

from pipeline_lib.exceptions import DataQualityException
from pipeline_lib.quality._keys import (
    business_key,
    column_name,
    contract,
    partition_filter,
    table_name,
)
from pipeline_lib.quality._model import CRITICAL, RuleResult, outcome, percent
from pipeline_lib.quality._runner import SqlRunner
from pipeline_lib.quality.settings import (
    FreshnessRule,
    NullRule,
    QualitySettings,
    RangeRule,
    ReferentialRule,
    RowCountRule,
)
from pipeline_lib.schemas import DEFAULT_DOMAINS, FeedDomains, with_domains

logger = logging.getLogger(__name__)

__all__ = ["CheckResult", "DataQualityChecker", "DataQualityException", "RuleSpec"]

RuleSpec = Union[RowCountRule, NullRule, FreshnessRule, RangeRule, ReferentialRule]


@dataclass(frozen=True)
class CheckResult:
    """The figures of one check: what was measured, against what, and whether it passed."""

    check: str
    table: str
    passed: bool
    observed: Any
    threshold: Any
    message: str
    column: Optional[str] = None
    figures: dict[str, Any] = field(default_factory=dict)

    def rule(self, severity: str = CRITICAL) -> RuleResult:
        """This result as a rule of the quality report, with ``severity``."""
        return RuleResult(
            rule=self.check,
            table=self.table,
            severity=severity,
            status=outcome(self.passed, severity),
            observed=self.observed,
            threshold=self.threshold,
            column=self.column,
            detail=self.message,
        )


def _literal(value: Union[str, float]) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


class DataQualityChecker:
    """Quality checks on contract tables through a SQL runner.

    Parameters
    ----------
    runner
        Where the SQL runs (``staged_runner``, ``live_runner`` or ``AthenaRunner``).
    as_of
        The run's logical date: freshness is measured from its end of day (UTC).
    now
        Measure freshness from this instant instead (tests).

    Examples
    --------
    >>> checker = DataQualityChecker(live_runner(lake), as_of=date(2026, 11, 28))  # doctest: +SKIP
    >>> checker.check_row_counts("curated.transactions", expected_min=100)  # doctest: +SKIP
    CheckResult(check='row_count', table='curated.transactions', passed=True, observed=2931, ...)
    """

    def __init__(
        self,
        runner: SqlRunner,
        *,
        as_of: Optional[date] = None,
        now: Optional[datetime] = None,
    ) -> None:
        self.runner = runner
        self.as_of = as_of
        self.now = now

    @property
    def dialect(self) -> str:
        return str(getattr(self.runner, "dialect", "duckdb"))

    def _one_row(self, sql: str) -> dict[str, Any]:
        frame = self.runner.query(sql)
        if frame.empty:  # pragma: no cover - aggregates always return a row
            return {}
        return {str(k): (None if pd.isna(v) else v) for k, v in frame.iloc[0].items()}

    @staticmethod
    def _raise_if_failed(result: CheckResult) -> CheckResult:
        if not result.passed:
            raise DataQualityException(result)
        return result

    # --- measurements (never raise for bad data) ------------------------------------

    def measure_row_count(self, table: str, expected_min: int) -> CheckResult:
        rows = int(self._one_row(f"SELECT count(*) AS n FROM {table_name(table)}")["n"])
        passed = rows >= expected_min
        message = (
            f"{rows:,} rows, at least {expected_min:,} expected"
            if passed
            else f"Row count {rows} below threshold {expected_min}"
        )
        return CheckResult(
            "row_count",
            table,
            passed,
            rows,
            expected_min,
            message,
            figures={"rows": rows, "expected_min": expected_min},
        )

    def measure_null_percentages(
        self, table: str, columns: Sequence[str], max_null_pct: float = 0.1
    ) -> CheckResult:
        quoted = [column_name(table, c) for c in columns]
        counts = ", ".join(f"count(*) - count({q}) AS n{i}" for i, q in enumerate(quoted))
        row = self._one_row(f"SELECT count(*) AS total, {counts} FROM {table_name(table)}")
        total = int(row["total"])
        pcts = {c: percent(int(row[f"n{i}"]), total) for i, c in enumerate(columns)}
        over = {c: p for c, p in pcts.items() if p > max_null_pct}
        worst = max(pcts, key=lambda c: pcts[c]) if pcts else None
        if over:
            message = "; ".join(
                f"Null percentage of {c} {p:g}% above threshold {max_null_pct:g}%"
                for c, p in over.items()
            )
        else:
            message = f"null percentages {pcts} within {max_null_pct:g}%"
        return CheckResult(
            "null_pct",
            table,
            not over,
            pcts[worst] if worst else 0.0,
            max_null_pct,
            message,
            column=(", ".join(over) if over else ", ".join(columns)),
            figures={"rows": total, "null_pct": pcts},
        )

    def measure_duplicates(self, table: str, unique_columns: Sequence[str]) -> CheckResult:
        keys = ", ".join(column_name(table, c) for c in unique_columns)
        row = self._one_row(
            "SELECT count(*) AS keys, coalesce(sum(n - 1), 0) AS extra FROM "
            f"(SELECT count(*) AS n FROM {table_name(table)} GROUP BY {keys}) g WHERE n > 1"
        )
        keys_dup, extra = int(row["keys"] or 0), int(row["extra"] or 0)
        label = ", ".join(unique_columns)
        message = (
            f"{extra} duplicate rows over {keys_dup} repeated keys of ({label}), threshold 0"
            if extra
            else f"({label}) unique"
        )
        return CheckResult(
            "duplicates",
            table,
            extra == 0,
            extra,
            0,
            message,
            column=label,
            figures={"duplicate_rows": extra, "duplicated_keys": keys_dup},
        )

    def measure_freshness(
        self,
        table: str,
        date_column: str,
        max_age_hours: float = 24,
        now: Optional[datetime] = None,
    ) -> CheckResult:
        quoted = column_name(table, date_column)
        latest = self._one_row(f"SELECT max({quoted}) AS latest FROM {table_name(table)}")["latest"]
        reference = now or self.now
        if reference is None:
            reference = (
                _end_of_day(self.as_of) if self.as_of is not None else datetime.now(timezone.utc)
            )
        if latest is None:
            return CheckResult(
                "freshness",
                table,
                False,
                None,
                max_age_hours,
                f"no {date_column} value: the table is empty",
                column=date_column,
                figures={"latest": None, "age_hours": None},
            )
        latest_ts = pd.Timestamp(latest)
        if contract(table).columns[contract(table).column_names.index(date_column)].dtype == "date":
            latest_ts = pd.Timestamp(_end_of_day(latest_ts.date()))  # a date covers its day
        if latest_ts.tzinfo is None:
            latest_ts = latest_ts.tz_localize("UTC")
        age = round((pd.Timestamp(reference) - latest_ts).total_seconds() / 3600, 2)
        # A negative age is a value after the run date's end: data from the future.
        passed = 0 <= age <= max_age_hours
        if age < 0:
            message = (
                f"newest {date_column} {latest_ts.isoformat()} is {-age:g} h after the run "
                "date's end: future data"
            )
        else:
            message = f"newest {date_column} {latest_ts.isoformat()} is {age:g} h old" + (
                "" if passed else f", above threshold {max_age_hours:g} h"
            )
        return CheckResult(
            "freshness",
            table,
            passed,
            age,
            max_age_hours,
            message,
            column=date_column,
            figures={
                "latest": latest_ts.isoformat(),
                "age_hours": age,
                "reference": pd.Timestamp(reference).isoformat(),
            },
        )

    def measure_value_ranges(
        self,
        table: str,
        column: str,
        min_val: Optional[float],
        max_val: Optional[float],
    ) -> CheckResult:
        quoted = column_name(table, column)
        below = f"{quoted} < {_literal(min_val)}" if min_val is not None else "FALSE"
        above = f"{quoted} > {_literal(max_val)}" if max_val is not None else "FALSE"
        row = self._one_row(
            f"SELECT count(*) AS total, sum(CASE WHEN {below} THEN 1 ELSE 0 END) AS below, "
            f"sum(CASE WHEN {above} THEN 1 ELSE 0 END) AS above, min({quoted}) AS lo, "
            f"max({quoted}) AS hi FROM {table_name(table)}"
        )
        n_below, n_above = int(row["below"] or 0), int(row["above"] or 0)
        outside = n_below + n_above
        bounds = (
            f"[{'' if min_val is None else f'{min_val:g}'}, "
            f"{'' if max_val is None else f'{max_val:g}'}]"
        )
        message = (
            f"{outside} values outside {bounds} ({n_below} below, {n_above} above; "
            f"observed min {row['lo']}, max {row['hi']})"
        )
        return CheckResult(
            "value_range",
            table,
            outside == 0,
            outside,
            bounds,
            message,
            column=column,
            figures={
                "below": n_below,
                "above": n_above,
                "min": row["lo"],
                "max": row["hi"],
                "rows": int(row["total"]),
            },
        )

    def measure_referential_integrity(
        self, parent_table: str, child_table: str, key: str, max_pct: float = 0.0
    ) -> CheckResult:
        """Rows of ``child_table`` whose ``key`` is missing from ``parent_table``.

        Passes with no orphan, or (``max_pct`` > 0) when the orphans are at most
        ``max_pct`` percent of the child rows that have a key.
        """
        child_key = column_name(child_table, key)
        parent_key = column_name(parent_table, key)
        row = self._one_row(
            f"SELECT count(c.{child_key}) AS keyed, "
            f"sum(CASE WHEN c.{child_key} IS NOT NULL AND p.{parent_key} IS NULL "
            f"THEN 1 ELSE 0 END) AS orphans, "
            f"count(DISTINCT CASE WHEN p.{parent_key} IS NULL THEN c.{child_key} END) "
            f"AS orphan_keys "
            f"FROM {table_name(child_table)} c LEFT JOIN {table_name(parent_table)} p "
            f"ON c.{child_key} = p.{parent_key}"
        )
        orphans, orphan_keys = int(row["orphans"] or 0), int(row["orphan_keys"] or 0)
        keyed = int(row["keyed"] or 0)
        pct = percent(orphans, keyed)
        threshold: Any = max_pct if max_pct else 0
        passed = orphans == 0 or (max_pct > 0 and pct <= max_pct)
        limit = f"threshold {max_pct:g}%" if max_pct else "threshold 0"
        message = (
            f"{orphans} rows ({orphan_keys} distinct {key}) of {child_table} have no {key} in "
            f"{parent_table} ({pct:g}% of {keyed:,} rows with a {key}), {limit}"
        )
        return CheckResult(
            "referential_integrity",
            child_table,
            passed,
            pct if max_pct else orphans,
            threshold,
            message,
            column=key,
            figures={
                "orphan_rows": orphans,
                "orphan_keys": orphan_keys,
                "orphan_pct": pct,
                "parent": parent_table,
            },
        )

    # --- the mission's interface: figures, or DataQualityException ------------------

    def check_row_counts(self, table: str, expected_min: int) -> CheckResult:
        """At least ``expected_min`` rows; raises DataQualityException otherwise."""
        return self._raise_if_failed(self.measure_row_count(table, expected_min))

    def check_null_percentages(
        self, table: str, columns: Sequence[str], max_null_pct: float = 0.1
    ) -> CheckResult:
        """Each column at most ``max_null_pct`` percent empty; raises otherwise."""
        return self._raise_if_failed(self.measure_null_percentages(table, columns, max_null_pct))

    def check_duplicates(self, table: str, unique_columns: Sequence[str]) -> CheckResult:
        """No two rows share ``unique_columns``; raises with the duplicate count otherwise."""
        return self._raise_if_failed(self.measure_duplicates(table, unique_columns))

    def check_data_freshness(
        self,
        table: str,
        date_column: str,
        max_age_hours: float = 24,
        now: Optional[datetime] = None,
    ) -> CheckResult:
        """The newest ``date_column`` is at most ``max_age_hours`` old; raises otherwise.

        Age is measured from ``now``, else the checker's ``now``, else the end (UTC) of the
        run's as-of date. A date value counts as the end of its day.
        """
        return self._raise_if_failed(self.measure_freshness(table, date_column, max_age_hours, now))

    def check_value_ranges(
        self,
        table: str,
        column: str,
        min_val: Optional[float],
        max_val: Optional[float],
    ) -> CheckResult:
        """Every value within [min_val, max_val] (inclusive; None = open); raises otherwise."""
        return self._raise_if_failed(self.measure_value_ranges(table, column, min_val, max_val))

    def check_referential_integrity(
        self, parent_table: str, child_table: str, key: str
    ) -> CheckResult:
        """Every non-empty ``key`` of ``child_table`` exists in ``parent_table``."""
        return self._raise_if_failed(
            self.measure_referential_integrity(parent_table, child_table, key)
        )

    # --- configured rules, for the audit ---------------------------------------------

    def evaluate(self, rule: RuleSpec) -> RuleResult:
        """Run one configured rule (params ``quality:``) and return its result; never raises
        for bad data (a query that cannot run still raises PipelineError)."""
        if isinstance(rule, RowCountRule):
            result = self.measure_row_count(rule.table, rule.min_rows)
        elif isinstance(rule, NullRule):
            result = self.measure_null_percentages(rule.table, rule.columns, rule.max_null_pct)
        elif isinstance(rule, FreshnessRule):
            result = self.measure_freshness(rule.table, rule.date_column, rule.max_age_hours)
        elif isinstance(rule, RangeRule):
            result = self.measure_value_ranges(rule.table, rule.column, rule.min_val, rule.max_val)
        elif isinstance(rule, ReferentialRule):
            result = self.measure_referential_integrity(
                rule.parent, rule.child, rule.key, rule.max_pct
            )
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"unknown rule {rule!r}")
        return result.rule(rule.severity)

    def evaluate_settings(
        self, settings: QualitySettings, tables: Optional[Iterable[str]] = None
    ) -> list[RuleResult]:
        """Every configured rule whose tables are in ``tables`` (all when None)."""
        available = set(tables) if tables is not None else None
        rules: list[RuleSpec] = [
            *settings.row_counts,
            *settings.null_pct,
            *settings.freshness,
            *settings.value_ranges,
            *settings.referential,
        ]
        results = []
        for rule in rules:
            needed = (
                {rule.child, rule.parent} if isinstance(rule, ReferentialRule) else {rule.table}
            )
            if available is not None and not needed <= available:
                logger.info("skipping %s: %s not in this run", type(rule).__name__, needed)
                continue
            results.append(self.evaluate(rule))
        return results

    def contract_rules(
        self,
        table: str,
        domains: FeedDomains = DEFAULT_DOMAINS,
        *,
        partitions: Optional[Sequence[str]] = None,
    ) -> list[RuleResult]:
        """Every contract rule of ``table`` over all its rows, in two queries (critical).

        ``partitions`` (values of the table's partition column) limits the row rules to
        those partitions: the ones a daily run rewrote, the others were audited when they
        were published. The business key stays unique over the whole table.

        Not-null of required columns, allowed values, numeric ranges and patterns in one
        aggregate; uniqueness of the business key in a GROUP BY. Allowed values and
        patterns are the deployment's closed vocabularies and rejecting patterns
        (``domains``, see :func:`pipeline_lib.schemas.with_domains`). This is the
        exhaustive counterpart of the Great Expectations suite run on a sample of the big
        facts.
        """
        schema = with_domains(contract(table), domains)
        parts = ["count(*) AS total"]
        checks: list[tuple[str, str, str, Any]] = []  # (alias, rule, column, threshold)
        for i, col in enumerate(schema.columns):
            q = column_name(table, col.name)
            if not col.nullable:
                parts.append(f"count(*) - count({q}) AS c{i}_null")
                checks.append((f"c{i}_null", "not_null", col.name, 0))
            if col.allowed_values:
                values = ", ".join(_literal(v) for v in col.allowed_values)
                parts.append(f"sum(CASE WHEN {q} NOT IN ({values}) THEN 1 ELSE 0 END) AS c{i}_set")
                checks.append((f"c{i}_set", "allowed_values", col.name, list(col.allowed_values)))
            if col.min_value is not None or col.max_value is not None:
                low = f"{q} < {_literal(col.min_value)}" if col.min_value is not None else "FALSE"
                high = f"{q} > {_literal(col.max_value)}" if col.max_value is not None else "FALSE"
                parts.append(f"sum(CASE WHEN {low} OR {high} THEN 1 ELSE 0 END) AS c{i}_range")
                checks.append(
                    (f"c{i}_range", "value_range", col.name, f"[{col.min_value}, {col.max_value}]")
                )
            if col.pattern:
                match = (
                    f"regexp_like({q}, {_literal(col.pattern)})"
                    if self.dialect == "athena"
                    else f"regexp_matches({q}, {_literal(col.pattern)})"
                )
                parts.append(f"sum(CASE WHEN NOT {match} THEN 1 ELSE 0 END) AS c{i}_pattern")
                checks.append((f"c{i}_pattern", "pattern", col.name, col.pattern))
        where = partition_filter(table, partitions)
        scope = (
            f" of the run's partitions ({', '.join(partitions or []) or 'none'})" if where else ""
        )
        row = self._one_row(f"SELECT {', '.join(parts)} FROM {table_name(table)}{where}")
        total = int(row["total"])
        results = []
        for alias, rule, column, threshold in checks:
            bad = int(row[alias] or 0)
            results.append(
                RuleResult(
                    rule=rule,
                    table=table,
                    severity=CRITICAL,
                    status=outcome(bad == 0, CRITICAL),
                    observed=bad,
                    threshold=threshold,
                    column=column,
                    detail=f"{bad:,} of {total:,} rows{scope} ({percent(bad, total):g}%) break "
                    "the rule",
                )
            )
        key = business_key(table)
        if key:
            results.append(self.measure_duplicates(table, key).rule(CRITICAL))
        return results
