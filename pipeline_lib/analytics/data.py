"""What an analytics notebook reads: named queries on the live tables, as DataFrames.

:func:`open_analysis` opens the lake's published catalog read-only; :meth:`Analysis.query`
runs a named query of ``sql/`` (the same files as the dashboard's API and ``ecom-pipeline
query``, with the deployment's parameter defaults) and keeps a log of what ran, which the
report shows at its end (:func:`pipeline_lib.analytics.display.provenance`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional, Union

import pandas as pd

from pipeline_lib.analytics.settings import AnalyticsSettings, analytics_settings
from pipeline_lib.catalog import CATALOG_KEY, read_published
from pipeline_lib.config import Settings, load_settings
from pipeline_lib.exceptions import ConfigError, NoPublishedDataError
from pipeline_lib.query import DuckDBEngine, NamedQuery, load_query, query_settings
from pipeline_lib.storage import LocalLake, Zone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryRecord:
    """One named query an analysis ran: what it asked and what it got."""

    name: str
    params: dict[str, Any]
    rows: int
    seconds: float
    bytes_scanned: int


@dataclass
class Analysis:
    """Named queries on a lake's live tables, with ``CURRENT_DATE`` pinned to ``as_of``.

    Build it with :func:`open_analysis`.
    """

    lake: LocalLake
    settings: Settings
    analytics: AnalyticsSettings
    engine: DuckDBEngine
    run_id: Optional[str] = None
    published_at: Optional[str] = None
    log: list[QueryRecord] = field(default_factory=list)

    @property
    def as_of(self) -> date:
        """The day the analysis ends on (``CURRENT_DATE`` of every query)."""
        return self.engine.current_date

    def named(self, name: str) -> NamedQuery:
        """The named query ``name`` with this deployment's parameter defaults."""
        return load_query(name, defaults=self.analytics.query_defaults())

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        """Rows of the named query ``name`` (``sql/<name>.sql``) as a DataFrame.

        Parameters are converted and range-checked from the query's header; the ones not
        given take the deployment's defaults.

        Examples
        --------
        >>> analysis.query("top_products", days=30, top_n=5)  # doctest: +SKIP
        """
        result = self.engine.run(self.named(name), params)
        self.log.append(
            QueryRecord(
                name=name,
                params={k: _plain(v) for k, v in result.params.items()},
                rows=len(result.rows),
                seconds=round(result.seconds, 3),
                bytes_scanned=result.estimate.bytes_read,
            )
        )
        return result.to_frame()


def open_analysis(
    lake: Union[str, os.PathLike[str], LocalLake] = "lake",
    *,
    as_of: Union[str, date, None] = "",
    env: str = "local",
) -> Analysis:
    """Open the published tables of ``lake`` for analysis.

    Parameters
    ----------
    lake
        The lake folder (or a LocalLake).
    as_of
        The last day analysed, ``YYYY-MM-DD`` or a date; empty or None: the live run's
        logical date (so a report is reproducible on data generated for any day).
    env
        Whose ``params/<env>.yaml`` applies (query cutoffs, recommendation thresholds).

    Raises
    ------
    NoPublishedDataError
        If no run was ever published into ``lake``.
    pipeline_lib.exceptions.ConfigError
        For a bad ``as_of`` or params file.
    """
    root = lake if isinstance(lake, LocalLake) else LocalLake(lake)
    if not root.path(Zone.META, CATALOG_KEY).is_file():
        raise NoPublishedDataError(
            f"lake {root.root} has no published tables (no {CATALOG_KEY}); run "
            "`ecom-pipeline demo` or `ecom-pipeline run` first, or set `lake` to your lake"
        )
    settings = load_settings(env=env, lake=str(root.root))
    day = _as_date(as_of)
    published = read_published(root)
    engine = DuckDBEngine(root, query_settings(settings), as_of=day)
    logger.info(
        "analysis of %s as of %s (run %s)", root.root, engine.current_date, published.run_id
    )
    return Analysis(
        lake=root,
        settings=settings,
        analytics=analytics_settings(settings),
        engine=engine,
        run_id=published.run_id,
        published_at=published.published_at,
    )


def _as_date(value: Union[str, date, None]) -> Optional[date]:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(
            f"as_of {value!r} is not a date; write YYYY-MM-DD or leave it empty"
        ) from None


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
