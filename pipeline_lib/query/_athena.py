"""The Athena engine: the same named queries through awswrangler, with server-side binding.

Parameters go to Athena as execution parameters (``paramstyle="qmark"``): the ``:name``
placeholders become ``?`` and each value a typed SQL literal that Athena binds, so user
text is never spliced into the query. The workgroup enforces the bytes-scanned cutoff on
AWS (``BytesScannedCutoffPerQuery``, set from the same ``query.bytes_scanned_cutoff``);
results younger than ``query.result_reuse_minutes`` are reused. The queries name tables by
zone (``curated.transactions``); each zone is replaced by the environment's Glue database
(``PIPELINE_CURATED_DATABASE``, set by Terraform, as for the catalog sync).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date
from typing import Any, Optional

import pandas as pd

from pipeline_lib.catalog import DATABASE_ENV
from pipeline_lib.query._cost import QuerySettings
from pipeline_lib.query._dialect import pin_current_date, qualify_databases, to_qmark
from pipeline_lib.query._loader import NamedQuery, ParamValue, QueryError

logger = logging.getLogger(__name__)


def athena_literal(value: ParamValue) -> str:
    """The Athena SQL literal of a bound, typed parameter value."""
    if isinstance(value, bool):
        raise QueryError("boolean parameters are not supported; declare the parameter as int")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def glue_databases() -> dict[str, str]:
    """Zone name -> Glue database of this deployment (the zone's name where none is set)."""
    return {zone: os.environ.get(variable) or zone for zone, variable in DATABASE_ENV.items()}


def athena_request(
    query: NamedQuery,
    params: Optional[Mapping[str, object]],
    settings: QuerySettings,
    *,
    as_of: Optional[date] = None,
    databases: Optional[Mapping[str, str]] = None,
) -> dict[str, Any]:
    """The keyword arguments of ``awswrangler.athena.read_sql_query`` for one query.

    Parameters
    ----------
    query
        The named query (Athena dialect).
    params
        Parameter values; validated and converted by the query's declarations.
    settings
        Workgroup, database and result reuse.
    as_of
        Pin CURRENT_DATE to this day (reproducible answers); None keeps Athena's own
        CURRENT_DATE.
    databases
        Zone name -> Glue database; by default :func:`glue_databases`.
    """
    databases = glue_databases() if databases is None else databases
    bound = query.bind(params)
    expression = qualify_databases(query.expression(), databases)
    if as_of is not None:
        expression = pin_current_date(expression, as_of)
    sql, order = to_qmark(expression)
    request: dict[str, Any] = {
        "sql": sql,
        "database": databases.get(settings.database, settings.database),
        "workgroup": settings.workgroup,
        "ctas_approach": False,
        "params": [athena_literal(bound[name]) for name in order] or None,
        "paramstyle": "qmark",
    }
    if settings.result_reuse_minutes > 0:
        request["athena_cache_settings"] = {"max_cache_seconds": settings.result_reuse_minutes * 60}
    return request


class AthenaEngine:
    """Run named queries on Athena (needs AWS credentials; nothing here is called offline)."""

    def __init__(
        self, settings: QuerySettings, *, as_of: Optional[date] = None, boto3_session: Any = None
    ) -> None:
        self.settings = settings
        self.as_of = as_of
        self.boto3_session = boto3_session

    def run(self, query: NamedQuery, params: Optional[Mapping[str, object]] = None) -> pd.DataFrame:
        """Run ``query`` and return its rows."""
        import awswrangler as wr

        request = athena_request(query, params, self.settings, as_of=self.as_of)
        logger.info("athena query %s in workgroup %s", query.name, self.settings.workgroup)
        frame = wr.athena.read_sql_query(boto3_session=self.boto3_session, **request)
        assert isinstance(frame, pd.DataFrame)
        return frame
