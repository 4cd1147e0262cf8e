"""The data quality vocabulary shared by the checks, the anomaly detector and the reports.

A run's quality outcome is a :class:`QualityReport`: one :class:`RuleResult` per rule
evaluated (rule, table, severity, status, observed value, threshold), one :class:`Anomaly`
per metric, mix or run-level rate that left its expected range, and the metrics and
segments that were too small (or too new) to judge. Critical failures stop the publish;
warnings and anomalies are reported and notified, and publish goes on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

PASS = "pass"
WARN = "warn"
FAIL = "fail"
STATUSES = (PASS, WARN, FAIL)


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one data quality rule on one table (or column).

    ``status`` is ``pass``, or when the rule is broken ``fail`` for a critical rule and
    ``warn`` for a warning rule. ``observed`` and ``threshold`` are the figures, as numbers
    or short text, so a reader sees how far off the data was.
    """

    rule: str
    table: str
    severity: str
    status: str
    observed: Any = None
    threshold: Any = None
    column: Optional[str] = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def subject(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


def outcome(passed: bool, severity: str) -> str:
    """The status of a rule: pass, or fail/warn by severity when broken."""
    if passed:
        return PASS
    return FAIL if severity == CRITICAL else WARN


def critical_rule(
    rule: str, subject: str, passed: bool, detail: str, observed: Any = None, threshold: Any = None
) -> RuleResult:
    """A critical rule's result: ``pass`` or ``fail``."""
    return RuleResult(
        rule, subject, CRITICAL, outcome(passed, CRITICAL), observed, threshold, detail=detail
    )


def percent(part: float, whole: float) -> float:
    """``part`` in percent of ``whole`` (4 decimals), 0 when there is no whole."""
    return round(100.0 * part / whole, 4) if whole else 0.0


#: Kinds of anomaly: a daily metric, the mix of a dimension, a run-level rate.
METRIC, MIX, RUN_RATE = "metric", "mix", "run_rate"


@dataclass(frozen=True)
class Anomaly:
    """A metric outside its expected range on one day, with why it was expected.

    ``explanation`` is the whole finding in one paragraph: what moved, by how much,
    against which range from which history, and what to look at next. The structured
    parts are kept beside it for the report: ``baseline`` (which history gave the range),
    ``next_steps`` (where to look), ``change_pct`` (observed against expected, percent),
    ``history`` (the baseline points, ``(day, value)``, for a small chart) and ``kind``
    (``metric``, ``mix`` or ``run_rate``).
    """

    metric: str
    day: str  # ISO date
    observed: float
    expected: float
    low: float
    high: float
    direction: str  # "above" | "below"
    explanation: str
    severity: str = WARNING
    kind: str = METRIC
    baseline: str = ""
    next_steps: str = ""
    change_pct: Optional[float] = None
    history: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # JSON gives lists back: keep the points hashable and comparable.
        points = tuple((str(d), float(v)) for d, v in self.history)
        object.__setattr__(self, "history", points)


@dataclass(frozen=True)
class Unjudged:
    """A metric or segment the audit did not judge, and why.

    ``reason`` is ``too_small`` (its expected volume is below ``needed``) or ``history``
    (fewer earlier points than ``needed``); ``observed`` is the expected volume or the
    points found.
    """

    metric: str
    reason: str
    observed: float
    needed: float


@dataclass
class QualityReport:
    """Everything the audit found for one run; saved as ``_meta/runs/<run_id>/quality.json``."""

    run_id: str
    as_of: str
    rules: list[RuleResult] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    seconds: float = 0.0
    unjudged: list[Unjudged] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``fail`` if a critical rule failed, else ``warn`` if anything warned, else ``pass``."""
        if any(r.status == FAIL for r in self.rules):
            return FAIL
        if any(r.status == WARN for r in self.rules) or self.anomalies:
            return WARN
        return PASS

    @property
    def publishable(self) -> bool:
        """True when no critical rule failed (warnings and anomalies do not block)."""
        return self.status != FAIL

    @property
    def critical_failures(self) -> list[RuleResult]:
        """The failed critical rules: what stops the publish, in rule order."""
        return [r for r in self.rules if r.status == FAIL and r.severity == CRITICAL]

    def counts(self) -> dict[str, int]:
        """The audit in figures: ``rules``, ``passed``, ``warnings``, ``failed``, ``anomalies``."""
        statuses = [r.status for r in self.rules]
        return {
            "rules": len(statuses),
            "passed": statuses.count(PASS),
            "warnings": statuses.count(WARN),
            "failed": statuses.count(FAIL),
            "anomalies": len(self.anomalies),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "rules": [asdict(r) for r in self.rules],
            "anomalies": [asdict(a) for a in self.anomalies],
            "unjudged": [asdict(u) for u in self.unjudged],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityReport:
        return cls(
            run_id=str(data["run_id"]),
            as_of=str(data["as_of"]),
            rules=[RuleResult(**r) for r in data.get("rules", [])],
            anomalies=[Anomaly(**a) for a in data.get("anomalies", [])],
            seconds=float(data.get("seconds", 0.0)),
            unjudged=[Unjudged(**u) for u in data.get("unjudged", [])],
        )
