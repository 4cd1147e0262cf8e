"""The analytics API behind the dashboard: named queries as JSON, locally or in Lambda.

One pure handler, :meth:`AnalyticsApi.handle`, answers ``GET /analytics?query=NAME`` and
``GET /health``; :func:`lambda_handler` adapts it to API Gateway HTTP API events and
:func:`make_server` to a local ``ThreadingHTTPServer`` that also serves ``dashboard/``.

Locally the dashboard is same-origin: no CORS header, and only requests addressed to the
loopback address are answered. On AWS the one origin allowed to read the answers is the
dashboard's, from the ``ALLOWED_ORIGIN`` environment variable of the Lambda function.
"""

from __future__ import annotations

from pipeline_lib.api._app import (
    ANALYTICS_PATH,
    API_PATHS,
    HEALTH_PATH,
    AnalyticsApi,
    ApiError,
    Response,
    check_origin,
)
from pipeline_lib.api._cache import TTLCache
from pipeline_lib.api._json import dumps, plain_value
from pipeline_lib.api._lambda import (
    ALLOWED_ORIGIN_ENV,
    allowed_origin,
    api_from_environment,
    lambda_handler,
    lambda_response,
    make_lambda_handler,
    request_of,
)
from pipeline_lib.api._server import (
    DashboardServer,
    ServeError,
    check_loopback,
    make_server,
    serve,
)
from pipeline_lib.api._settings import ApiSettings, api_settings
from pipeline_lib.api._source import AthenaSource, DataSource, LakeSource, LiveState
from pipeline_lib.api._static import StaticFiles, content_type, dashboard_dir

__all__ = [
    "ALLOWED_ORIGIN_ENV",
    "ANALYTICS_PATH",
    "API_PATHS",
    "HEALTH_PATH",
    "AnalyticsApi",
    "ApiError",
    "ApiSettings",
    "AthenaSource",
    "DashboardServer",
    "DataSource",
    "LakeSource",
    "LiveState",
    "Response",
    "ServeError",
    "StaticFiles",
    "TTLCache",
    "allowed_origin",
    "api_from_environment",
    "api_settings",
    "check_loopback",
    "check_origin",
    "content_type",
    "dashboard_dir",
    "dumps",
    "lambda_handler",
    "lambda_response",
    "make_lambda_handler",
    "make_server",
    "plain_value",
    "request_of",
    "serve",
]
