"""What a query would scan, estimated from Parquet footers, and the bytes-scanned cutoff.

Athena bills and limits a query by the bytes it reads: only the columns it references,
only the partitions its partition predicates keep, minus the row groups whose min/max
statistics exclude the date predicates. :func:`estimate_scan` computes that from the live
table versions' Parquet footers, before anything runs; :meth:`ScanEstimate.check` enforces
the workgroup cutoff of ``params/<env>.yaml`` (``query.bytes_scanned_cutoff``) like
Athena's ``BytesScannedCutoffPerQuery``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import duckdb
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from pipeline_lib.catalog import read_published
from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError, QueryBudgetError
from pipeline_lib.ingestion import VALIDATED_PREFIX
from pipeline_lib.query._dialect import to_duckdb
from pipeline_lib.query._footers import Bound, as_time, read_footers
from pipeline_lib.schemas import TABLES
from pipeline_lib.storage import Lake, ParquetFolder, Zone

logger = logging.getLogger(__name__)

#: Event-time columns of each partitioned fact, by its month partition column.
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "transaction_month": ("transaction_date",),
    "event_month": ("timestamp", "event_date"),
    "session_month": ("session_start", "session_end", "session_date"),
}
_COMPARISONS = (exp.GTE, exp.GT, exp.LTE, exp.LT, exp.EQ)
_LOWER = {exp.GTE: True, exp.GT: True, exp.LTE: False, exp.LT: False}
#: Athena refuses a per-query bytes-scanned cutoff below 10 MiB.
ATHENA_MIN_CUTOFF = 10 * 1024**2
_MIN_TIME = datetime(1, 1, 2, tzinfo=timezone.utc)
_MAX_TIME = datetime(9999, 12, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class QuerySettings:
    """The ``query:`` section of ``params/<env>.yaml``."""

    workgroup: str = "primary"
    bytes_scanned_cutoff: int = 10 * 1024**3
    result_reuse_minutes: int = 0
    database: str = "curated"

    def __post_init__(self) -> None:
        if self.bytes_scanned_cutoff <= 0:
            raise ConfigError("query.bytes_scanned_cutoff must be a positive byte count")
        if not 0 <= self.result_reuse_minutes <= 10080:
            raise ConfigError("query.result_reuse_minutes must be between 0 and 10080 (7 days)")


def query_settings(settings: Settings) -> QuerySettings:
    """Read ``query:`` from the environment's params (defaults for missing keys)."""
    raw = settings.section("query")
    where = settings.source("query")
    known = {"workgroup", "bytes_scanned_cutoff", "result_reuse_minutes", "database"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown query setting {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    try:
        values: dict[str, Any] = {
            k: str(v) for k, v in raw.items() if k in ("workgroup", "database")
        }
        values.update(
            {k: int(raw[k]) for k in ("bytes_scanned_cutoff", "result_reuse_minutes") if k in raw}
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid query setting: {exc}") from exc
    if values.get("bytes_scanned_cutoff", ATHENA_MIN_CUTOFF) < ATHENA_MIN_CUTOFF:
        raise ConfigError(
            f"{where}: query.bytes_scanned_cutoff must be at least "
            f"{ATHENA_MIN_CUTOFF} (10 MiB, Athena's minimum per-query cutoff)"
        )
    return QuerySettings(**values)


@dataclass(frozen=True)
class TableScan:
    """What one table reference of a query would read."""

    table: str
    columns: tuple[str, ...]
    partitioned: bool
    date_filter: tuple[str, ...]
    window: tuple[Optional[str], Optional[str]]
    partitions_total: int
    partitions_read: int
    files_total: int
    files_read: int
    row_groups_total: int
    row_groups_read: int
    bytes_total: int
    bytes_read: int

    @property
    def has_date_filter(self) -> bool:
        """True when a date or partition predicate bounds the scan from below."""
        return self.window[0] is not None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["columns"], out["date_filter"] = list(self.columns), list(self.date_filter)
        out["window"] = list(self.window)
        return out


@dataclass(frozen=True)
class ScanEstimate:
    """The scans of one query and their total."""

    scans: tuple[TableScan, ...] = field(default_factory=tuple)

    @property
    def bytes_read(self) -> int:
        """Bytes the query would read, all table references together."""
        return sum(s.bytes_read for s in self.scans)

    @property
    def unfiltered_facts(self) -> list[str]:
        """Partitioned facts read without a date filter (a full scan each)."""
        return [s.table for s in self.scans if s.partitioned and not s.has_date_filter]

    def check(self, query: str, settings: QuerySettings) -> None:
        """Raise QueryBudgetError when over the workgroup's bytes-scanned cutoff."""
        if self.bytes_read > settings.bytes_scanned_cutoff:
            raise QueryBudgetError(
                f"query {query} would scan {format_bytes(self.bytes_read)}, over the "
                f"{format_bytes(settings.bytes_scanned_cutoff)} bytes-scanned cutoff of "
                f"workgroup {settings.workgroup} (Bytes scanned limit was exceeded); narrow "
                "its date window (e.g. --param days=7), or raise query.bytes_scanned_cutoff "
                "in params/<env>.yaml; see `query NAME --explain`"
            )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {"bytes_read": self.bytes_read, "scans": [s.to_dict() for s in self.scans]}


def format_bytes(count: float) -> str:
    """``1.5 MiB`` and the like."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def table_folder(lake: Lake, table: str) -> Optional[ParquetFolder]:
    """The live version of ``zone.table`` (None if not published)."""
    zone_name, _, name = table.partition(".")
    if zone_name == "raw":
        return ParquetFolder(lake, Zone.PROCESSED, f"{VALIDATED_PREFIX}/{name}")
    run_id = read_published(lake).tables.get(table)
    if run_id is None:
        return None
    return ParquetFolder(lake, Zone(zone_name), f"{name}/run-{run_id}")


def estimate_scan(
    expression: exp.Expression, lake: Lake, params: Mapping[str, object]
) -> ScanEstimate:
    """Estimate the bytes ``expression`` (Athena AST, CURRENT_DATE pinned) would scan.

    Parameters
    ----------
    expression
        The parsed query; ``:name`` placeholders are evaluated with ``params``.
    lake
        The lake whose live table versions are read (footers only).
    params
        Bound parameter values.

    Returns
    -------
    ScanEstimate
        One TableScan per catalog table reference.
    """
    scans: list[TableScan] = []
    for scope in traverse_scope(expression):
        catalog_sources = {
            alias: source
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table) and source.db
        }
        for alias, table in catalog_sources.items():
            qualified = f"{table.db}.{table.name}".lower()
            scans.append(_scan_table(scope, alias, qualified, catalog_sources, lake, params))
    return ScanEstimate(tuple(scans))


def _scan_table(
    scope: Any,
    alias: str,
    qualified: str,
    sources: Mapping[str, exp.Table],
    lake: Lake,
    params: Mapping[str, object],
) -> TableScan:
    schema = TABLES.get(qualified)
    partition_column = schema.partition_column if schema else None
    folder = table_folder(lake, qualified)
    files = (
        [k for k in lake.list_keys(folder.zone, folder.prefix) if k.endswith(".parquet")]
        if folder
        else []
    )
    date_columns = DATE_COLUMNS.get(partition_column or "", ())
    footers = read_footers(lake, folder, files, date_columns) if folder else []
    file_columns = (
        set(footers[0].columns) if footers else set(schema.column_names if schema else [])
    )

    def belongs(column: exp.Column) -> bool:
        if column.table:
            return bool(column.table == alias)
        return len(sources) == 1 or column.name in file_columns or column.name == partition_column

    star = any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for e in getattr(scope.expression, "expressions", [])
    )
    columns = (
        set(file_columns)
        if star
        else {c.name for c in scope.columns if belongs(c) and c.name in file_columns}
    )
    bounds = _date_bounds(
        scope, belongs, (*date_columns, *filter(None, [partition_column])), params
    )

    window_low = max((lo for lo, _ in bounds.values() if lo is not None), default=None)
    window_high = min((hi for _, hi in bounds.values() if hi is not None), default=None)
    partitions: set[str] = set()
    partitions_read: set[str] = set()
    files_read = row_groups_total = row_groups_read = bytes_total = bytes_read = 0
    for key, footer in zip(files, footers):
        parent = key.rsplit("/", 2)[-2] if key.count("/") >= 1 else ""
        partition = parent if "=" in parent else ""
        partitions.add(partition)
        bytes_total += sum(g.bytes_of(None) for g in footer.row_groups) + footer.footer_bytes
        row_groups_total += len(footer.row_groups)
        if partition_column and partition.startswith(f"{partition_column}="):
            month_low, month_high = _month_range(partition.split("=", 1)[1])
            if not _overlaps(month_low, month_high, window_low, window_high):
                continue
        kept = [
            group
            for group in footer.row_groups
            if all(
                group.may_match(col, lo, hi)
                for col, (lo, hi) in bounds.items()
                if col != partition_column
            )
        ]
        if not kept:
            continue
        partitions_read.add(partition)
        files_read += 1
        row_groups_read += len(kept)
        bytes_read += sum(g.bytes_of(columns) for g in kept) + footer.footer_bytes
    return TableScan(
        table=qualified,
        columns=tuple(sorted(columns)),
        partitioned=partition_column is not None,
        date_filter=tuple(sorted(bounds)),
        window=(_iso(window_low), _iso(window_high)),
        partitions_total=len(partitions - {""}),
        partitions_read=len(partitions_read - {""}),
        files_total=len(files),
        files_read=files_read,
        row_groups_total=row_groups_total,
        row_groups_read=row_groups_read,
        bytes_total=bytes_total,
        bytes_read=bytes_read,
    )


def _date_bounds(
    scope: Any, belongs: Any, columns: tuple[str, ...], params: Mapping[str, object]
) -> dict[str, Bound]:
    """Per date/partition column: the [low, high] window its WHERE conjuncts allow."""
    where = scope.expression.args.get("where") if isinstance(scope.expression, exp.Select) else None
    if where is None:
        return {}
    bounds: dict[str, Bound] = {}
    conjuncts = [
        node
        for node in (where.this.flatten() if isinstance(where.this, exp.And) else [where.this])
        if isinstance(node, exp.Expression)
    ]
    for node in conjuncts:
        for column, is_lower, value in _comparisons(node, belongs, columns, params):
            low, high = bounds.get(column, (None, None))
            if is_lower in (True, None):
                low = value if low is None else max(low, value)
            if is_lower in (False, None):
                end = _period_end(column, value)
                high = end if high is None else min(high, end)
            bounds[column] = (low, high)
    return bounds


def _comparisons(
    node: exp.Expression, belongs: Any, columns: tuple[str, ...], params: Mapping[str, object]
) -> list[tuple[str, Optional[bool], datetime]]:
    found: list[tuple[str, Optional[bool], datetime]] = []
    if isinstance(node, exp.Between) and _is_date_column(node.this, belongs, columns):
        low, high = (_constant(node.args[k], params) for k in ("low", "high"))
        name = node.this.name
        found += [(name, True, low)] if low else []
        found += [(name, False, high)] if high else []
        return found
    if not isinstance(node, _COMPARISONS):
        return found
    left, right = node.this, node.expression
    if _is_date_column(left, belongs, columns):
        column, other, lower = left.name, right, _LOWER.get(type(node))
    elif _is_date_column(right, belongs, columns):
        flipped = _LOWER.get(type(node))
        column, other, lower = right.name, left, None if flipped is None else not flipped
    else:
        return found
    value = _constant(other, params)
    if value is not None:
        found.append((column, lower, value))
    return found


def _is_date_column(node: exp.Expression, belongs: Any, columns: tuple[str, ...]) -> bool:
    return isinstance(node, exp.Column) and node.name in columns and bool(belongs(node))


def _constant(node: exp.Expression, params: Mapping[str, object]) -> Optional[datetime]:
    """Evaluate a column-free expression with DuckDB; None if it is not a constant time."""
    if node.find(exp.Column) is not None:
        return None
    names = {str(p.name) for p in node.find_all(exp.Placeholder) if p.name}
    try:
        row = (
            _constants_connection()
            .execute(f"SELECT {to_duckdb(node)}", {n: params[n] for n in names} or None)
            .fetchone()
        )
    except (duckdb.Error, KeyError):
        logger.debug("not a constant bound: %s", node.sql("athena"))
        return None
    return as_time(row[0] if row else None)


_THREAD = threading.local()


def _constants_connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for :func:`_constant` (a new one per bound costs
    tens of milliseconds, a query's estimate often needs two)."""
    con: Optional[duckdb.DuckDBPyConnection] = getattr(_THREAD, "constants", None)
    if con is None:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        _THREAD.constants = con
    return con


def _period_end(column: str, value: datetime) -> datetime:
    """An upper bound on a month partition or a date covers that whole month or day."""
    if column in DATE_COLUMNS:
        return _month_range(value.strftime("%Y-%m"))[1]
    if value.time() == datetime.min.time():
        return value + timedelta(days=1) - timedelta(microseconds=1)
    return value


def _month_range(month: str) -> tuple[datetime, datetime]:
    start = as_time(f"{month}-01") or _MIN_TIME
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, following - timedelta(microseconds=1)


def _overlaps(
    low: datetime, high: datetime, window_low: Optional[datetime], window_high: Optional[datetime]
) -> bool:
    return (window_low is None or high >= window_low) and (
        window_high is None or low <= window_high
    )


def _iso(value: Optional[datetime]) -> Optional[str]:
    if value is None:
        return None
    if value.time() == datetime.min.time():
        return value.date().isoformat()
    return value.isoformat()
