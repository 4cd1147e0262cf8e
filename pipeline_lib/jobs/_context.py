"""What every job step needs to know about its run: the lake, the run id and the as-of date."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Optional

from pipeline_lib.config import Settings, load_settings
from pipeline_lib.exceptions import PipelineError
from pipeline_lib.schemas import FeedDomains
from pipeline_lib.storage import Lake, open_lake

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def new_run_id(now: Optional[datetime] = None) -> str:
    """A sortable, unique run id such as ``20261128T075012Z-3f9a1c``."""
    moment = now or datetime.now(timezone.utc)
    return f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class JobContext:
    """The run a job step belongs to.

    Attributes
    ----------
    lake
        Where inputs are read and outputs are written.
    run_id
        Names the run's table versions, rejects, accounting and executed notebooks.
    as_of
        The run's logical date: processing date, recency and "days of cover" are relative
        to it, so re-running an old date gives the same answer.
    env
        The environment whose params apply (local, dev, staging, prod).
    """

    lake: Lake
    run_id: str
    as_of: date
    env: str = "local"

    def __post_init__(self) -> None:
        if not _RUN_ID.match(self.run_id):
            raise PipelineError(
                f"invalid run id {self.run_id!r}: use letters, digits, '_', '.', '-' "
                "(at most 64), e.g. 20261128T075012Z-3f9a1c"
            )

    @classmethod
    def create(cls, lake: str, run_id: str, as_of: str = "", env: str = "local") -> JobContext:
        """Build a context from notebook parameters (strings; ``as_of`` empty = today UTC)."""
        day = date.fromisoformat(as_of) if as_of else datetime.now(timezone.utc).date()
        return cls(lake=open_lake(lake), run_id=run_id, as_of=day, env=env)

    def settings(self) -> Settings:
        """The settings of the run's environment (``params/base.yaml`` with
        ``params/<env>.yaml`` over it), on the run's lake."""
        return load_settings(env=self.env, lake=self.lake.location)

    def domains(self) -> FeedDomains:
        """The deployment's value rules: ``feeds:`` of the environment's settings."""
        from pipeline_lib.jobs._feeds import feed_domains  # _feeds imports this module

        return feed_domains(self.settings())
