"""The ``analytics:`` section of ``params/<env>.yaml``: reports and recommendation thresholds.

::

    analytics:
      reports:
        after_publish: true   # render every analytics report after each successful publish
        notebooks: []         # which ones (names in notebooks/analytics/); [] = all
      recommendations:
        min_support: 0.0001   # a pair must be in at least this share of all baskets
        min_lift: 1.0

``PIPELINE_ANALYTICS_REPORTS=off`` (or ``on``) overrides ``after_publish`` for one process,
e.g. a backfill of many days that needs the reports of the last one only.

The recommendation thresholds are the defaults of the named query
``product_recommendations`` wherever it runs (the dashboard's API, ``ecom-pipeline
query``, the recommendations report): one setting, one answer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pipeline_lib.exceptions import ConfigError
from pipeline_lib.resources import resource_dir

if TYPE_CHECKING:
    from pipeline_lib.config import Settings

#: Overrides ``analytics.reports.after_publish`` for the process (on/off).
REPORTS_ENV = "PIPELINE_ANALYTICS_REPORTS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def notebooks_dir() -> Path:
    """The analytics notebooks: the repository's ``notebooks/analytics/``."""
    return resource_dir("notebooks") / "analytics"


def notebook_names(directory: Optional[Path] = None) -> list[str]:
    """Every analytics notebook that is a report, sorted (``_template`` and ``_*`` are not)."""
    folder = directory or notebooks_dir()
    return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))


@dataclass(frozen=True)
class ReportSettings:
    """Which analytics reports a run renders after its publish."""

    after_publish: bool = True
    #: Names of notebooks in notebooks/analytics/; empty means every one.
    notebooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecommendationSettings:
    """How much evidence a co-purchase pair needs before anyone is shown it."""

    #: Share of all baskets that must hold the pair (support): the baskets it takes grow
    #: with the data.
    min_support: float = 0.0001
    #: Lift the pair must reach (1 = bought together as often as by chance).
    min_lift: float = 1.0


@dataclass(frozen=True)
class AnalyticsSettings:
    """The resolved ``analytics:`` section."""

    reports: ReportSettings = field(default_factory=ReportSettings)
    recommendations: RecommendationSettings = field(default_factory=RecommendationSettings)

    def query_defaults(self) -> dict[str, dict[str, object]]:
        """Defaults of named-query parameters that this deployment sets (query -> values)."""
        thresholds: dict[str, object] = {
            "min_support": self.recommendations.min_support,
            "min_lift": self.recommendations.min_lift,
        }
        return {"product_recommendations": thresholds, "co_purchase_bands": dict(thresholds)}

    def report_notebooks(self, directory: Optional[Path] = None) -> list[str]:
        """The notebooks rendered after a publish: the configured ones, or every one."""
        return list(self.reports.notebooks) or notebook_names(directory)


_KNOWN = {
    "reports": {"after_publish", "notebooks"},
    "recommendations": {"min_support", "min_lift"},
}


def parse_analytics(raw: Any, *, source: str = "params") -> AnalyticsSettings:
    """Validate an ``analytics:`` mapping (None: defaults).

    Raises
    ------
    ConfigError
        Naming ``source`` (the params file), the key and what is accepted, e.g.
        ``params/local.yaml: analytics.recommendations.min_support: 2.0 is not between 0
        and 1``.
    """
    if raw is None:
        return AnalyticsSettings()
    section = _mapping(raw, "analytics", source)
    _refuse_unknown(section, set(_KNOWN), "analytics", source)
    reports_raw = _mapping(section.get("reports") or {}, "analytics.reports", source)
    _refuse_unknown(reports_raw, _KNOWN["reports"], "analytics.reports", source)
    recs_raw = _mapping(section.get("recommendations") or {}, "analytics.recommendations", source)
    _refuse_unknown(recs_raw, _KNOWN["recommendations"], "analytics.recommendations", source)

    after_publish = reports_raw.get("after_publish", True)
    if not isinstance(after_publish, bool):
        raise ConfigError(
            f"{source}: analytics.reports.after_publish: {after_publish!r} is not true or false"
        )
    notebooks = reports_raw.get("notebooks") or []
    if not isinstance(notebooks, list) or not all(isinstance(n, str) for n in notebooks):
        raise ConfigError(f"{source}: analytics.reports.notebooks must be a list of notebook names")
    known = notebook_names()
    unknown = sorted(set(notebooks) - set(known))
    if unknown:
        raise ConfigError(
            f"{source}: analytics.reports.notebooks: no notebook {', '.join(unknown)} in "
            f"{notebooks_dir()}; known: {', '.join(known)}"
        )
    defaults = RecommendationSettings()
    min_support = _number(recs_raw, "min_support", defaults.min_support, 0.0, 1.0, source)
    min_lift = _number(recs_raw, "min_lift", defaults.min_lift, 0.0, 1_000_000.0, source)
    return AnalyticsSettings(
        reports=ReportSettings(after_publish=after_publish, notebooks=tuple(notebooks)),
        recommendations=RecommendationSettings(min_support=min_support, min_lift=min_lift),
    )


def analytics_settings(settings: Settings) -> AnalyticsSettings:
    """The ``analytics:`` section of resolved settings, validated (naming its params file)."""
    return parse_analytics(settings.params.get("analytics"), source=settings.source("analytics"))


def reports_after_publish(settings: Settings, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Whether a run renders the analytics reports: ``PIPELINE_ANALYTICS_REPORTS``, else params.

    Raises
    ------
    ConfigError
        If the environment variable is neither on nor off.
    """
    value = (os.environ if environ is None else environ).get(REPORTS_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value:
        raise ConfigError(
            f"{REPORTS_ENV}={value!r}: use on or off (or leave it unset to follow "
            "analytics.reports.after_publish in params)"
        )
    return analytics_settings(settings).reports.after_publish


def _mapping(value: Any, key: str, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {key} must be a mapping, not {type(value).__name__}")
    return value


def _refuse_unknown(section: Mapping[str, Any], known: set[str], key: str, source: str) -> None:
    unknown = sorted(set(map(str, section)) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {key}.{unknown[0]}; known: {', '.join(sorted(known))}"
        )


def _number(
    section: Mapping[str, Any], key: str, default: float, low: float, high: float, source: str
) -> float:
    value = section.get(key, default)
    name = f"analytics.recommendations.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: {name}: {value!r} is not a number")
    if not low <= float(value) <= high:
        raise ConfigError(f"{source}: {name}: {value!r} is not between {low:g} and {high:g}")
    return float(value)
