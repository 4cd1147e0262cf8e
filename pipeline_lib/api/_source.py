"""Where the API's rows come from: the live published data of a lake, or Athena.

A source answers two questions: which run is live (its id is part of every cache key, so
a new publish invalidates cached answers) and what a named query returns on it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional, Protocol

from pipeline_lib.api._json import plain_value
from pipeline_lib.catalog import read_published
from pipeline_lib.query import (
    AthenaEngine,
    DuckDBEngine,
    NamedQuery,
    QuerySettings,
)
from pipeline_lib.storage import LocalLake

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class LiveState:
    """The published run the answers come from (None before the first publish)."""

    run_id: Optional[str] = None
    as_of: Optional[str] = None
    published_at: Optional[str] = None
    #: False when the source cannot tell which run is live (then answers expire by TTL only).
    tracked: bool = True


class DataSource(Protocol):
    """What the API handler needs from the data."""

    def live(self) -> LiveState:
        """The currently published run."""
        ...

    def run(self, query: NamedQuery, params: Mapping[str, object], live: LiveState) -> Records:
        """Rows of ``query`` (JSON-ready dicts) on the data of ``live``."""
        ...


class LakeSource:
    """Named queries run with DuckDB on a local lake's live catalog.

    CURRENT_DATE is the live run's as-of date, like ``ecom-pipeline query``. Queries run one
    at a time: they take milliseconds on the catalog, and one DuckDB connection at a time
    keeps a threaded server simple.
    """

    def __init__(self, lake: LocalLake, settings: Optional[QuerySettings] = None) -> None:
        self.lake = lake
        self.settings = settings or QuerySettings()
        self._lock = threading.Lock()

    def live(self) -> LiveState:
        state = read_published(self.lake)
        return LiveState(run_id=state.run_id, as_of=state.as_of, published_at=state.published_at)

    def run(self, query: NamedQuery, params: Mapping[str, object], live: LiveState) -> Records:
        as_of = date.fromisoformat(live.as_of) if live.as_of else None
        with self._lock:
            engine = DuckDBEngine(self.lake, self.settings, as_of=as_of)
            return engine.run(query, params).to_records()


class AthenaSource:
    """Named queries run on Athena (on AWS; needs credentials).

    The live run id is not known here, so cached answers expire by TTL only.
    """

    def __init__(self, settings: QuerySettings, boto3_session: Any = None) -> None:
        self.engine = AthenaEngine(settings, boto3_session=boto3_session)

    def live(self) -> LiveState:
        return LiveState(tracked=False)

    def run(self, query: NamedQuery, params: Mapping[str, object], live: LiveState) -> Records:
        frame = self.engine.run(query, params)
        columns = [str(c) for c in frame.columns]
        return [
            {c: plain_value(v) for c, v in zip(columns, row)}
            for row in frame.itertuples(index=False, name=None)
        ]
