"""Value domains: what values a column may take in one deployment, and what happens to others.

Contracts (:mod:`pipeline_lib.schemas._contracts`) describe structure: columns, types,
nullability, keys and references. Every shop has its own vocabulary, so the values are
settings of the deployment (``feeds.<dataset>`` in ``params/<env>.yaml``), each with an
action:

- ``reject``: the row goes to the rejects, with the rule's name as the reason;
- ``warn``: the row is kept, and the audit reports the values with their counts;
- ``off``: nothing is checked.

The defaults are what a shop can live with: categories, devices and event types are open
(a value never seen before is kept and reported); statuses are mapped from the feed's words
to the canonical ones the queries use, an unknown status is kept as ``other`` and reported;
identifier patterns are off (an identifier need only be a non-empty string without control
characters); a product missing from the catalog is kept with unknown attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.schemas._contracts import CATEGORIES, CONTRACTS, DEVICES, EVENT_TYPES

REJECT = "reject"
WARN = "warn"
OFF = "off"
ACTIONS = (REJECT, WARN, OFF)
#: What a reference rule does with a row whose key is missing from its parent dataset.
KEEP = "keep"
REFERENCE_ACTIONS = (KEEP, REJECT)

#: The canonical statuses the named queries use; revenue counts ``completed`` only.
CANONICAL_STATUSES = ("completed", "returned", "refunded", "pending", "cancelled")
#: The statuses that count as a return (``returns``, ``return_rate``) wherever one is
#: counted: the customer and product tables, the named queries of sql/ and the audit's
#: return rate (tests/unit/test_schemas_domains.py checks that the SQL says the same).
RETURN_STATUSES = ("returned", "refunded")
#: A status the mapping does not know is kept under this name (and reported).
OTHER_STATUS = "other"
#: Words feeds use for the canonical statuses (compared trimmed and lowercased).
STATUS_SYNONYMS: dict[str, str] = {
    "complete": "completed",
    "shipped": "completed",
    "delivered": "completed",
    "fulfilled": "completed",
    "paid": "completed",
    "return": "returned",
    "refund": "refunded",
    "processing": "pending",
    "on_hold": "pending",
    "on-hold": "pending",
    "awaiting_payment": "pending",
    "canceled": "cancelled",
    "cancel": "cancelled",
    "void": "cancelled",
    "voided": "cancelled",
}
#: The five funnel steps; other event types (search, login...) are kept outside the funnel.
FUNNEL_EVENT_TYPES = EVENT_TYPES

#: An identifier holding one of these (tab, newline, NUL...) is invalid.
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f]"


@dataclass(frozen=True)
class ValueRule:
    """The values of one text column.

    Attributes
    ----------
    allowed
        The closed set of valid values (after ``synonyms``); None is an open vocabulary.
    action
        What a value outside ``allowed`` does: ``reject``, ``warn`` or ``off``. For an open
        vocabulary, ``warn`` reports values outside ``known`` (new ones) and ``off`` nothing.
    synonyms
        Feed word (trimmed, lowercased) -> canonical value.
    other
        If set, a value outside ``allowed`` is kept as this (``warn``) instead of as fed.
    known
        Values of an open vocabulary that are not news (the shop's usual ones).
    case
        ``lower`` compares and stores values lowercased; ``as_fed`` keeps their spelling
        (trimmed, inner whitespace collapsed) and matches ``allowed``/``known``
        case-insensitively to their canonical spelling.
    """

    allowed: Optional[tuple[str, ...]] = None
    action: str = WARN
    synonyms: Mapping[str, str] = field(default_factory=dict)
    other: Optional[str] = None
    known: tuple[str, ...] = ()
    case: str = "lower"

    @property
    def is_open(self) -> bool:
        return self.allowed is None


@dataclass(frozen=True)
class PatternRule:
    """A regular expression an identifier should match, and what a mismatch does."""

    regex: str
    action: str = WARN


@dataclass(frozen=True)
class ReferenceRule:
    """What a row whose key is missing from its parent dataset does.

    ``keep`` keeps it with the parent's attributes unknown and reports it (a warning above
    ``warn_rate`` of the rows); ``reject`` sends it to the rejects.
    """

    action: str = KEEP
    warn_rate: float = 0.01


@dataclass(frozen=True)
class RangeRule:
    """Inclusive bounds the audit holds a numeric column to (None: no bound on that side)."""

    min_value: Optional[float] = None
    max_value: Optional[float] = None


@dataclass(frozen=True)
class FeedDomains:
    """Every dataset's value rules for one deployment (``feeds:`` of the params file)."""

    values: Mapping[tuple[str, str], ValueRule] = field(default_factory=dict)
    patterns: Mapping[tuple[str, str], PatternRule] = field(default_factory=dict)
    references: Mapping[tuple[str, str], ReferenceRule] = field(default_factory=dict)
    #: Bounds replacing a contract column's range (``ranges``); None switches it off.
    ranges: Mapping[tuple[str, str], Optional[RangeRule]] = field(default_factory=dict)
    #: dataset -> columns its feed adds that must not travel past raw (``drop_columns``).
    drop_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def value_rule(self, dataset: str, column: str) -> ValueRule:
        """The rule of ``dataset.column`` (an open, unreported vocabulary if none)."""
        return self.values.get((dataset, column), ValueRule(action=OFF))

    def pattern_rule(self, dataset: str, column: str) -> Optional[PatternRule]:
        return self.patterns.get((dataset, column))

    def reference_rule(self, dataset: str, column: str) -> ReferenceRule:
        return self.references.get((dataset, column), ReferenceRule())


#: The sample shop's vocabulary (the generator's): known, so not reported as new.
DEFAULT_CATEGORIES = CATEGORIES
DEFAULT_DEVICES = DEVICES

DEFAULT_DOMAINS = FeedDomains(
    values={
        ("transactions", "status"): ValueRule(
            allowed=CANONICAL_STATUSES, action=WARN, synonyms=STATUS_SYNONYMS, other=OTHER_STATUS
        ),
        ("products", "category"): ValueRule(known=DEFAULT_CATEGORIES, case="as_fed"),
        ("clickstream", "event_type"): ValueRule(known=FUNNEL_EVENT_TYPES),
        ("clickstream", "device"): ValueRule(known=DEFAULT_DEVICES),
    },
    references={
        ("transactions", "product_id"): ReferenceRule(),
        ("reviews", "product_id"): ReferenceRule(),
    },
)

#: Which columns reference another dataset (from the contracts).
REFERENCES = {
    (name, column.name): column.references
    for name, contract in CONTRACTS.items()
    for column in contract.columns
    if column.references
}


def domains_from_params(feeds: Any, *, source: str = "params") -> FeedDomains:
    """The deployment's value rules: ``DEFAULT_DOMAINS`` overridden by ``feeds:``.

    Parameters
    ----------
    feeds
        The ``feeds:`` mapping of a params file (None: the defaults).
    source
        Names the file in error messages (``params/local.yaml``).

    Raises
    ------
    ConfigError
        A key names no dataset or column, an action is unknown, a regex does not compile;
        the message names the file, the key and what is accepted.

    Examples
    --------
    >>> rules = domains_from_params({"products": {"values": {"category": {
    ...     "allowed": ["Garden", "Tools"], "action": "reject"}}}})
    >>> rules.value_rule("products", "category").allowed
    ('Garden', 'Tools')
    """
    if feeds is None:
        return DEFAULT_DOMAINS
    if not isinstance(feeds, Mapping):
        raise ConfigError(
            f"{source}: `feeds` must be a mapping of dataset -> settings, e.g. "
            "`feeds: {transactions: {drop_columns: [coupon_code]}}`"
        )
    values = dict(DEFAULT_DOMAINS.values)
    patterns = dict(DEFAULT_DOMAINS.patterns)
    references = dict(DEFAULT_DOMAINS.references)
    dropped: dict[str, tuple[str, ...]] = {}
    ranges: dict[tuple[str, str], Optional[RangeRule]] = {}
    for dataset, section in feeds.items():
        where = f"{source}: feeds.{dataset}"
        if dataset not in CONTRACTS:
            raise ConfigError(f"{where}: no such dataset; use one of {', '.join(CONTRACTS)}")
        if section is None:
            continue
        if not isinstance(section, Mapping):
            raise ConfigError(
                f"{where} must be a mapping, e.g. `{dataset}: {{values: {{}}, drop_columns: []}}`"
            )
        if section.get("drop_columns") is not None:
            dropped[dataset] = _drop_columns(dataset, section["drop_columns"], where)
        known_keys = {"values", "patterns", "references", "ranges", "drop_columns"}
        unknown = sorted(set(section) - known_keys)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {', '.join(unknown)}; known: {', '.join(sorted(known_keys))}"
            )
        for column, raw in (section.get("values") or {}).items():
            _check_column(dataset, column, f"{where}.values")
            base = values.get((dataset, column), ValueRule(action=OFF))
            values[(dataset, column)] = _value_rule(raw, base, f"{where}.values.{column}")
        for column, raw in (section.get("patterns") or {}).items():
            _check_column(dataset, column, f"{where}.patterns")
            rule = _pattern_rule(raw, f"{where}.patterns.{column}")
            if rule is None:
                patterns.pop((dataset, column), None)
            else:
                patterns[(dataset, column)] = rule
        for column, raw in (section.get("ranges") or {}).items():
            _check_column(dataset, column, f"{where}.ranges")
            ranges[(dataset, column)] = _range_rule(dataset, column, raw, f"{where}.ranges")
        for column, raw in (section.get("references") or {}).items():
            _check_column(dataset, column, f"{where}.references")
            if (dataset, column) not in REFERENCES:
                raise ConfigError(
                    f"{where}.references.{column}: this column references no dataset; "
                    f"references: {', '.join(f'{d}.{c}' for d, c in REFERENCES)}"
                )
            references[(dataset, column)] = _reference_rule(raw, f"{where}.references.{column}")
    return FeedDomains(
        values=values,
        patterns=patterns,
        references=references,
        ranges=ranges,
        drop_columns=dropped,
    )


def _range_rule(dataset: str, column: str, raw: Any, where: str) -> Optional[RangeRule]:
    where = f"{where}.{column}"
    if CONTRACTS[dataset].column(column).dtype not in ("int64", "float64"):
        raise ConfigError(f"{where}: {column} is not numeric; ranges apply to numbers only")
    if raw == OFF:
        return None
    settings = _mapping(raw, where, {"min", "max"})
    try:
        low = None if settings.get("min") is None else float(settings["min"])
        high = None if settings.get("max") is None else float(settings["max"])
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: min and max must be numbers, e.g. {{min: 1, max: 5000}}"
        ) from None
    if low is not None and high is not None and low > high:
        raise ConfigError(f"{where}: min {low:g} is above max {high:g}")
    return RangeRule(low, high)


def _drop_columns(dataset: str, names: Any, where: str) -> tuple[str, ...]:
    key = f"{where}.drop_columns"
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(
            f"{key} must be a list of column names, e.g. [coupon_code]; got {names!r}"
        )
    documented = [n for n in dict.fromkeys(names) if n in CONTRACTS[dataset].column_names]
    if documented:
        raise ConfigError(
            f"{key}: {', '.join(documented)}: contract columns of {dataset} cannot be "
            "dropped; list only columns the feed adds beyond its contract "
            "(docs/DATA_DICTIONARY.md lists the contract columns)"
        )
    return tuple(dict.fromkeys(names))


def _check_column(dataset: str, column: str, where: str) -> None:
    names = CONTRACTS[dataset].column_names
    if column not in names:
        raise ConfigError(f"{where}.{column}: {dataset} has no such column; columns: {names}")


def _mapping(raw: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping with keys {', '.join(sorted(keys))}")
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(unknown)}; known: {', '.join(sorted(keys))}"
        )
    return raw


def _action(raw: Any, where: str, allowed: tuple[str, ...] = ACTIONS) -> str:
    action = str(raw)
    if action not in allowed:
        raise ConfigError(f"{where}.action: {action!r} is not one of {', '.join(allowed)}")
    return action


def _texts(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(raw)


def _value_rule(raw: Any, base: ValueRule, where: str) -> ValueRule:
    keys = {"allowed", "action", "synonyms", "other", "known", "case"}
    settings = _mapping(raw, where, keys)
    allowed = base.allowed
    if "allowed" in settings:
        allowed = (
            None
            if settings["allowed"] in (None, "open")
            else _texts(settings["allowed"], f"{where}.allowed")
        )
    synonyms = base.synonyms
    if "synonyms" in settings:
        raw_synonyms = settings["synonyms"] or {}
        if not isinstance(raw_synonyms, Mapping):
            raise ConfigError(f"{where}.synonyms must map a feed word to a canonical value")
        synonyms = {str(k).strip().lower(): str(v) for k, v in raw_synonyms.items()}
        if allowed is not None:
            stray = sorted(v for v in set(synonyms.values()) if v not in allowed)
            if stray:
                raise ConfigError(
                    f"{where}.synonyms maps to {', '.join(stray)}, not in allowed: "
                    f"{', '.join(allowed)}; add them to allowed or fix the mapping"
                )
    case = str(settings.get("case", base.case))
    if case not in ("lower", "as_fed"):
        raise ConfigError(f"{where}.case: {case!r} is not one of lower, as_fed")
    other = settings.get("other", base.other)
    return ValueRule(
        allowed=allowed,
        action=_action(settings.get("action", base.action), where),
        synonyms=synonyms,
        other=None if other is None else str(other),
        known=_texts(settings["known"], f"{where}.known") if "known" in settings else base.known,
        case=case,
    )


def _pattern_rule(raw: Any, where: str) -> Optional[PatternRule]:
    if raw in (None, OFF):
        return None
    settings = _mapping(raw, where, {"regex", "action"})
    if "regex" not in settings:
        raise ConfigError(f"{where}: give `regex` (e.g. '^txn_[0-9]+$') or set it to off")
    try:
        re.compile(str(settings["regex"]))
    except re.error as exc:
        raise ConfigError(f"{where}.regex: {settings['regex']!r} does not compile: {exc}") from None
    action = _action(settings.get("action", WARN), where)
    return None if action == OFF else PatternRule(str(settings["regex"]), action)


def _reference_rule(raw: Any, where: str) -> ReferenceRule:
    settings = _mapping(raw, where, {"action", "warn_rate"})
    base = ReferenceRule()
    try:
        rate = float(settings.get("warn_rate", base.warn_rate))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.warn_rate must be a fraction such as 0.01") from None
    if not 0 <= rate <= 1:
        raise ConfigError(f"{where}.warn_rate must be between 0 and 1; got {rate}")
    action = _action(settings.get("action", base.action), where, REFERENCE_ACTIONS)
    return ReferenceRule(action=action, warn_rate=rate)
