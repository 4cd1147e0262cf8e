"""The ``quality:`` section of the params (``params/base.yaml``, and ``params/<env>.yaml``
where an environment differs): thresholds and severities of the rules.

Every rule names its tables and columns from the contracts (:data:`schemas.TABLES`), so SQL
is only ever built from validated identifiers, never from user input. A ``critical`` rule
that breaks stops the publish; a ``warning`` rule is reported and publish goes on.

Examples
--------
>>> from pipeline_lib.config import load_settings
>>> quality_settings(load_settings(env="local")).gx_sample_rows
20000
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from pipeline_lib.config import Settings
from pipeline_lib.exceptions import ConfigError
from pipeline_lib.quality._model import CRITICAL, SEVERITIES
from pipeline_lib.quality.consistency import ConsistencySettings, consistency_settings
from pipeline_lib.schemas import CONTRACTS, TABLES

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class RowCountRule:
    table: str
    min_rows: int
    severity: str = CRITICAL


@dataclass(frozen=True)
class NullRule:
    table: str
    columns: tuple[str, ...]
    max_null_pct: float
    severity: str = CRITICAL


@dataclass(frozen=True)
class FreshnessRule:
    table: str
    date_column: str
    max_age_hours: float
    severity: str = CRITICAL


@dataclass(frozen=True)
class RangeRule:
    table: str
    column: str
    min_val: Optional[float]
    max_val: Optional[float]
    severity: str = CRITICAL


@dataclass(frozen=True)
class ReferentialRule:
    """Every non-empty ``key`` of ``child`` exists in ``parent`` (or, with ``max_pct``, at
    most that percent of the keyed child rows do not)."""

    child: str
    parent: str
    key: str
    severity: str = CRITICAL
    max_pct: float = 0.0


@dataclass(frozen=True)
class RejectRateRule:
    """Rows rejected / rows in of one dataset, in percent: warn above one, fail above other."""

    dataset: str
    warn_above_pct: float
    fail_above_pct: float


@dataclass(frozen=True)
class DuplicateRateRule:
    """Rows removed as duplicates within a run's batch / rows in, percent, per dataset."""

    dataset: str
    warn_above_pct: float
    fail_above_pct: float


@dataclass(frozen=True)
class QualitySettings:
    """The parsed ``quality:`` section (see ``params/base.yaml`` for the documented keys)."""

    gx_sample_rows: int = 50_000
    row_counts: tuple[RowCountRule, ...] = ()
    null_pct: tuple[NullRule, ...] = ()
    freshness: tuple[FreshnessRule, ...] = ()
    value_ranges: tuple[RangeRule, ...] = ()
    referential: tuple[ReferentialRule, ...] = ()
    reject_rates: tuple[RejectRateRule, ...] = ()
    duplicate_rates: tuple[DuplicateRateRule, ...] = ()
    consistency: ConsistencySettings = field(default_factory=ConsistencySettings)
    params: dict[str, Any] = field(default_factory=dict)

    def min_rows(self, table: str) -> Optional[int]:
        """The configured minimum row count of ``table``, if any."""
        found = [r.min_rows for r in self.row_counts if r.table == table]
        return max(found) if found else None


_KEYS = {
    "gx_sample_rows",
    "row_counts",
    "null_pct",
    "freshness",
    "value_ranges",
    "referential",
    "reject_rates",
    "duplicate_rates",
    "consistency",
}


def quality_settings(settings: Settings) -> QualitySettings:
    """Parse and validate ``quality:`` of the environment's params file.

    Raises
    ------
    ConfigError
        Naming the params file, the entry and what to write instead.
    """
    where = f"{settings.source('quality')}: quality"
    raw = settings.section(
        "quality", example="quality: {row_counts: [...], ...} (see params/base.yaml)"
    )
    if not raw:
        return QualitySettings(params=dict(settings.params))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        )
    sample = _number(raw.get("gx_sample_rows", 50_000), f"{where}.gx_sample_rows", minimum=1)
    return QualitySettings(
        gx_sample_rows=int(sample),
        row_counts=tuple(
            RowCountRule(
                _table(e, "table", w),
                int(_number(e.get("min_rows"), f"{w}.min_rows", minimum=0)),
                _severity(e, w),
            )
            for e, w in _entries(raw, "row_counts", where, {"table", "min_rows", "severity"})
        ),
        null_pct=tuple(
            _null_rule(e, w)
            for e, w in _entries(
                raw, "null_pct", where, {"table", "columns", "max_null_pct", "severity"}
            )
        ),
        freshness=tuple(
            FreshnessRule(
                (table := _table(e, "table", w)),
                _column(table, e.get("date_column"), f"{w}.date_column"),
                _number(e.get("max_age_hours"), f"{w}.max_age_hours", minimum=0),
                _severity(e, w),
            )
            for e, w in _entries(
                raw, "freshness", where, {"table", "date_column", "max_age_hours", "severity"}
            )
        ),
        value_ranges=tuple(
            _range_rule(e, w)
            for e, w in _entries(
                raw, "value_ranges", where, {"table", "column", "min", "max", "severity"}
            )
        ),
        referential=tuple(
            _referential_rule(e, w)
            for e, w in _entries(
                raw, "referential", where, {"child", "parent", "key", "severity", "max_pct"}
            )
        ),
        reject_rates=tuple(
            _reject_rule(e, w)
            for e, w in _entries(
                raw, "reject_rates", where, {"dataset", "warn_above_pct", "fail_above_pct"}
            )
        ),
        duplicate_rates=tuple(
            DuplicateRateRule(*_rate_bounds(e, w))
            for e, w in _entries(
                raw, "duplicate_rates", where, {"dataset", "warn_above_pct", "fail_above_pct"}
            )
        ),
        consistency=consistency_settings(raw.get("consistency"), f"{where}.consistency"),
        params=dict(settings.params),
    )


def _entries(
    raw: Mapping[str, Any], key: str, where: str, allowed: set[str]
) -> list[tuple[Mapping[str, Any], str]]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where}.{key} must be a list of mappings")
    entries = []
    for index, entry in enumerate(value):
        w = f"{where}.{key}[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{w} must be a mapping, got {entry!r}")
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ConfigError(
                f"{w}: unknown key {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
            )
        entries.append((entry, w))
    return entries


def _severity(entry: Mapping[str, Any], where: str) -> str:
    severity = entry.get("severity", CRITICAL)
    if severity not in SEVERITIES:
        raise ConfigError(
            f"{where}.severity must be one of {', '.join(SEVERITIES)}, got {severity!r}"
        )
    return str(severity)


def _number(value: Any, where: str, *, minimum: Optional[float] = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where} must be at least {minimum}, got {value!r}")
    return float(value)


def _table(entry: Mapping[str, Any], key: str, where: str) -> str:
    table = entry.get(key)
    if table not in TABLES:
        raise ConfigError(
            f"{where}.{key}: unknown table {table!r}; use a contract table such as "
            f"curated.transactions (pipeline_lib/schemas/_tables.py)"
        )
    return str(table)


def _column(table: str, column: Any, where: str) -> str:
    names = TABLES[table].column_names
    if column not in names:
        raise ConfigError(f"{where}: {table} has no column {column!r}; columns: {', '.join(names)}")
    if not _IDENTIFIER.match(str(column)):  # pragma: no cover - contracts are identifiers
        raise ConfigError(f"{where}: {column!r} is not a plain identifier")
    return str(column)


def _null_rule(entry: Mapping[str, Any], where: str) -> NullRule:
    table = _table(entry, "table", where)
    columns = entry.get("columns")
    if not isinstance(columns, list) or not columns:
        raise ConfigError(f"{where}.columns must be a non-empty list of column names")
    pct = _number(entry.get("max_null_pct"), f"{where}.max_null_pct", minimum=0)
    if pct > 100:
        raise ConfigError(f"{where}.max_null_pct is a percentage (0-100), got {pct}")
    return NullRule(
        table,
        tuple(_column(table, c, f"{where}.columns") for c in columns),
        pct,
        _severity(entry, where),
    )


def _range_rule(entry: Mapping[str, Any], where: str) -> RangeRule:
    table = _table(entry, "table", where)
    column = _column(table, entry.get("column"), f"{where}.column")
    low = entry.get("min")
    high = entry.get("max")
    if low is None and high is None:
        raise ConfigError(f"{where}: give min, max or both")
    min_val = None if low is None else _number(low, f"{where}.min")
    max_val = None if high is None else _number(high, f"{where}.max")
    if min_val is not None and max_val is not None and min_val > max_val:
        raise ConfigError(f"{where}: min {min_val} is above max {max_val}")
    return RangeRule(table, column, min_val, max_val, _severity(entry, where))


def _referential_rule(entry: Mapping[str, Any], where: str) -> ReferentialRule:
    child = _table(entry, "child", where)
    parent = _table(entry, "parent", where)
    key = _column(child, entry.get("key"), f"{where}.key")
    _column(parent, key, f"{where}.key")
    max_pct = _number(entry.get("max_pct", 0), f"{where}.max_pct", minimum=0)
    return ReferentialRule(child, parent, key, _severity(entry, where), max_pct)


def _reject_rule(entry: Mapping[str, Any], where: str) -> RejectRateRule:
    return RejectRateRule(*_rate_bounds(entry, where))


def _rate_bounds(entry: Mapping[str, Any], where: str) -> tuple[str, float, float]:
    dataset = entry.get("dataset")
    if dataset not in CONTRACTS:
        raise ConfigError(
            f"{where}.dataset: unknown dataset {dataset!r}; known: {', '.join(sorted(CONTRACTS))}"
        )
    warn = _number(entry.get("warn_above_pct"), f"{where}.warn_above_pct", minimum=0)
    fail = _number(entry.get("fail_above_pct"), f"{where}.fail_above_pct", minimum=0)
    if warn > fail:
        raise ConfigError(f"{where}: warn_above_pct {warn} must not exceed fail_above_pct {fail}")
    return str(dataset), warn, fail
