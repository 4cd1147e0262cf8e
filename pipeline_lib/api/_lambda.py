"""AWS Lambda entry point for API Gateway HTTP APIs (payload format 2.0).

The function reads ``PIPELINE_ENV`` / ``PIPELINE_LAKE`` like the command line: a local
lake path is queried with DuckDB, an ``s3://`` lake through Athena. The API object is
built once per container, so its cache survives warm invocations.

Environment
-----------
``ALLOWED_ORIGIN``
    The dashboard's own origin, e.g. ``https://d111111abcdef8.cloudfront.net`` (set by
    Terraform): the only website whose pages may read the answers, sent as
    ``Access-Control-Allow-Origin``. Unset or empty: no CORS header at all (then only a
    same-origin page can read them). ``*`` or anything but one ``scheme://host[:port]``
    origin makes the function fail at cold start with a ConfigError that says so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, Callable, Optional

from pipeline_lib.analytics.settings import analytics_settings
from pipeline_lib.api._app import AnalyticsApi, Response, check_origin
from pipeline_lib.api._settings import api_settings
from pipeline_lib.api._source import AthenaSource, DataSource, LakeSource
from pipeline_lib.config import load_settings
from pipeline_lib.query import load_queries, query_settings
from pipeline_lib.storage import LocalLake

logger = logging.getLogger(__name__)

LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

#: Environment variable naming the dashboard's origin (see the module docstring).
ALLOWED_ORIGIN_ENV = "ALLOWED_ORIGIN"

_default: Optional[AnalyticsApi] = None
_default_lock = threading.Lock()


def allowed_origin(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The origin ``ALLOWED_ORIGIN`` names, or None when it is unset or blank.

    Parameters
    ----------
    environ
        Where to read it (default ``os.environ``).

    Raises
    ------
    ConfigError
        The value is ``*`` or not exactly one ``scheme://host[:port]`` origin.
    """
    value = (os.environ if environ is None else environ).get(ALLOWED_ORIGIN_ENV, "").strip()
    return check_origin(value) if value else None


def api_from_environment() -> AnalyticsApi:
    """An API over the lake and params of ``PIPELINE_ENV`` / ``PIPELINE_LAKE``.

    CORS answers name the origin of ``ALLOWED_ORIGIN`` (none when unset).
    """
    settings = load_settings()
    source: DataSource
    if "://" in settings.lake:
        source = AthenaSource(query_settings(settings))
    else:
        source = LakeSource(LocalLake(settings.lake), query_settings(settings))
    origin = allowed_origin()
    if origin is None:
        logger.info("%s is not set: answers carry no CORS header", ALLOWED_ORIGIN_ENV)
    defaults = analytics_settings(settings).query_defaults()
    return AnalyticsApi(
        source, api_settings(settings), cors_origin=origin, queries=load_queries(defaults=defaults)
    )


def request_of(event: Mapping[str, Any]) -> tuple[str, str, str]:
    """(method, path, query string) of an HTTP API payload v2 event.

    A named stage (``/prod/analytics``) is stripped from the path; ``$default`` has none.
    """
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method") or event.get("httpMethod") or "GET")
    path = str(event.get("rawPath") or http.get("path") or "/")
    stage = str(context.get("stage") or "")
    if stage and stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    return method, path, str(event.get("rawQueryString") or "")


def lambda_response(response: Response) -> dict[str, Any]:
    """The payload v2 answer: statusCode, headers, body (text, not base64)."""
    status, headers, body = response
    return {
        "statusCode": status,
        "headers": dict(headers),
        "body": body,
        "isBase64Encoded": False,
    }


def make_lambda_handler(api: AnalyticsApi) -> LambdaHandler:
    """A Lambda handler bound to ``api`` (tests, or a custom source)."""

    def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        method, path, query_string = request_of(event)
        return lambda_response(api.handle(method, path, query_string))

    return handler


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The function's handler: ``pipeline_lib.api.lambda_handler``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = api_from_environment()
        api = _default
    return make_lambda_handler(api)(event, context)
