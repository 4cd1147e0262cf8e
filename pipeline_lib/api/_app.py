"""The analytics API as one pure function of (method, path, query string).

``GET /analytics?query=NAME[&PARAM=VALUE ...]`` runs a whitelisted named query of ``sql/``
with parameters checked against its header and answers a JSON list of row objects;
``GET /health`` tells which run is live. Nothing here knows about sockets or Lambda: the
local server and the Lambda entry point both call :meth:`AnalyticsApi.handle`.

CORS: answers carry ``Access-Control-Allow-Origin`` only when the API is given one origin
(``cors_origin``; on AWS the dashboard's CloudFront address, from ``ALLOWED_ORIGIN``, see
:mod:`pipeline_lib.api._lambda`). Without one, browsers let only same-origin pages read
the answers, which is what the local server needs; ``*`` is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional
from urllib.parse import parse_qsl, urlsplit

from pipeline_lib.api._cache import Clock, TTLCache
from pipeline_lib.api._json import dumps
from pipeline_lib.api._settings import ApiSettings
from pipeline_lib.api._source import DataSource
from pipeline_lib.exceptions import ApiError, ConfigError, PipelineError
from pipeline_lib.query import NamedQuery, QueryBudgetError, QueryError, load_queries

logger = logging.getLogger(__name__)

ANALYTICS_PATH = "/analytics"
HEALTH_PATH = "/health"
API_PATHS = (ANALYTICS_PATH, HEALTH_PATH)
METHODS = ("GET", "HEAD", "OPTIONS")
MAX_QUERY_STRING = 2048

#: Where a 503's detail went: the answer itself must not show lake paths to a browser.
UNAVAILABLE_MESSAGE = (
    "the analytics data cannot be read right now; the server log says why (if no run was "
    "ever published, run `ecom-pipeline run` or `ecom-pipeline demo` first)"
)


class Response(NamedTuple):
    """What :meth:`AnalyticsApi.handle` returns: status, headers, JSON body text."""

    status: int
    headers: dict[str, str]
    body: str


class AnalyticsApi:
    """Answer analytics requests from a data source, with a TTL cache.

    Parameters
    ----------
    source
        Where rows come from (:class:`LakeSource` locally, :class:`AthenaSource` on AWS).
    settings
        Cache lifetime (``api:`` of the params file).
    clock
        Seconds, monotonic; injectable for tests (default ``time.monotonic``).
    queries
        The whitelist; default every named query of ``sql/``.
    cors_origin
        The one origin whose pages may read the answers (``https://d1234.cloudfront.net``);
        None (default) sends no CORS header, for a same-origin dashboard.

    Raises
    ------
    ConfigError
        ``cors_origin`` is ``*`` or not one ``scheme://host[:port]`` origin.

    Examples
    --------
    >>> api = AnalyticsApi(LakeSource(LocalLake("lake")))  # doctest: +SKIP
    >>> status, headers, body = api.handle("GET", "/analytics", "query=top_products&days=7")
    """

    def __init__(
        self,
        source: DataSource,
        settings: Optional[ApiSettings] = None,
        *,
        clock: Optional[Clock] = None,
        queries: Optional[list[NamedQuery]] = None,
        cors_origin: Optional[str] = None,
    ) -> None:
        self.source = source
        self.settings = settings or ApiSettings()
        self.cors_origin = None if cors_origin is None else check_origin(cors_origin)
        self.queries = {q.name: q for q in (queries if queries is not None else load_queries())}
        self.cache = TTLCache(self.settings.cache_ttl_seconds, clock=clock)

    # --- the handler ------------------------------------------------------------------

    def handle(self, method: str, path: str, query_string: str = "") -> Response:
        """Answer one request; never raises (errors become JSON answers)."""
        method = method.upper()
        path = _normalise(path)
        try:
            if path not in API_PATHS:
                raise ApiError(404, f"no such path {path!r}", list(API_PATHS))
            if method == "OPTIONS":
                return Response(204, self._headers(preflight=True), "")
            if method not in METHODS:
                raise ApiError(405, f"method {method} is not allowed on {path}", list(METHODS))
            if path == HEALTH_PATH:
                return self._health()
            return self._analytics(query_string)
        except ApiError as exc:
            return self._error(exc.status, str(exc), exc.allowed)
        except QueryBudgetError as exc:
            return self._error(400, str(exc), self._rules(query_string))
        except QueryError as exc:
            return self._error(400, str(exc), self._rules(query_string))
        except PipelineError as exc:
            # The message names lake paths: it goes to the log, the browser gets the gist.
            logger.warning("analytics request %s %s?%s failed: %s", method, path, query_string, exc)
            return self._error(503, UNAVAILABLE_MESSAGE)
        except Exception:
            logger.exception("analytics request %s %s?%s failed", method, path, query_string)
            return self._error(500, "internal error; see the server log")

    # --- routes -----------------------------------------------------------------------

    def _health(self) -> Response:
        live = self.source.live()
        ready = live.run_id is not None or not live.tracked
        body = {
            "status": "ok" if ready else "no published data",
            "run_id": live.run_id,
            "as_of": live.as_of,
            "published_at": live.published_at,
            "queries": sorted(self.queries),
        }
        if not ready:
            body["error"] = "no run is published yet; run `ecom-pipeline run` (or demo) first"
        return Response(200 if ready else 503, self._headers(cache_seconds=0), dumps(body))

    def _analytics(self, query_string: str) -> Response:
        query, raw = self._parse(query_string)
        bound = query.bind(self._convert(query, raw))
        live = self.source.live()
        if live.tracked and live.run_id is None:
            raise ApiError(503, "no run is published yet; run `ecom-pipeline run` (or demo) first")
        key = (query.name, tuple(sorted(bound.items())), live.run_id)
        body = self.cache.get(key)
        hit = body is not None
        if body is None:
            records = self.source.run(query, bound, live)
            body = dumps(records)
            self.cache.put(key, body)
        headers = self._headers(cache_seconds=self.settings.cache_ttl_seconds)
        headers["X-Cache"] = "hit" if hit else "miss"
        if live.run_id:
            headers["X-Run-Id"] = live.run_id
        return Response(200, headers, body)

    # --- request checks ---------------------------------------------------------------

    def _parse(self, query_string: str) -> tuple[NamedQuery, dict[str, str]]:
        names = sorted(self.queries)
        if len(query_string) > MAX_QUERY_STRING:
            raise ApiError(400, f"query string longer than {MAX_QUERY_STRING} characters", names)
        try:
            pairs = parse_qsl(query_string, keep_blank_values=True, strict_parsing=False)
        except ValueError:
            raise ApiError(400, "malformed query string", names) from None
        values: dict[str, str] = {}
        for key, value in pairs:
            if key in values:
                raise ApiError(400, f"parameter {key!r} given more than once", [key])
            values[key] = value
        name = values.pop("query", None)
        if not name:
            raise ApiError(400, "missing ?query=NAME; name one of the allowed queries", names)
        query = self.queries.get(name)
        if query is None:
            raise ApiError(400, f"unknown query {name!r}", names)
        return query, values

    def _convert(self, query: NamedQuery, raw: Mapping[str, str]) -> dict[str, Any]:
        specs = {p.name: p for p in query.params}
        unknown = sorted(set(raw) - set(specs))
        if unknown:
            raise ApiError(
                400,
                f"query {query.name} has no parameter {', '.join(repr(u) for u in unknown)}",
                ["query", *specs],
            )
        converted: dict[str, Any] = {}
        for name, text in raw.items():
            spec = specs[name]
            try:
                converted[name] = spec.convert(text)
            except QueryError as exc:
                raise ApiError(400, str(exc), [f"{name}: {spec.describe_rule()}"]) from None
        return converted

    def _rules(self, query_string: str) -> list[str]:
        try:
            query, _ = self._parse(query_string)
        except ApiError:
            return []
        return [f"{p.name}: {p.describe_rule()}" for p in query.params]

    # --- answers ----------------------------------------------------------------------

    def _headers(self, *, cache_seconds: int = 0, preflight: bool = False) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Cache-Control": f"max-age={cache_seconds}" if cache_seconds > 0 else "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        if preflight:
            headers["Allow"] = ", ".join(METHODS)
        if self.cors_origin is None:
            return headers
        headers["Access-Control-Allow-Origin"] = self.cors_origin
        headers["Vary"] = "Origin"
        if preflight:
            headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
            headers["Access-Control-Allow-Headers"] = "Content-Type"
            headers["Access-Control-Max-Age"] = "86400"
        return headers

    def _error(self, status: int, message: str, allowed: Optional[list[str]] = None) -> Response:
        body = {"error": message, "allowed": list(allowed or [])}
        return Response(status, self._headers(), dumps(body))


def check_origin(origin: str) -> str:
    """``origin`` if it is exactly one web origin (``https://host[:port]``), else ConfigError.

    Parameters
    ----------
    origin
        The value of ``Access-Control-Allow-Origin`` to send, e.g.
        ``https://d111111abcdef8.cloudfront.net``.

    Raises
    ------
    ConfigError
        ``*`` (any website could read the numbers), a list, a path, or anything else that
        is not ``scheme://host[:port]`` with scheme http or https.
    """
    hint = (
        "set ALLOWED_ORIGIN to the dashboard's own address, e.g. "
        "https://d111111abcdef8.cloudfront.net (scheme://host[:port], no path)"
    )
    if origin.strip() == "*":
        raise ConfigError(
            f"the allowed origin is never '*' (any website could then read the analytics); {hint}"
        )
    parts = urlsplit(origin)
    if (
        not _has_valid_port(parts.netloc)
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or any(c.isspace() or c in ",;*" for c in origin)
    ):
        raise ConfigError(f"allowed origin {origin!r} is not one web origin; {hint}")
    return origin


def _has_valid_port(netloc: str) -> bool:
    try:
        port = urlsplit(f"//{netloc}").port  # ValueError on a port like ':x' or ':99999'
    except ValueError:
        return False
    return port is None or port > 0


def _normalise(path: str) -> str:
    path = path.split("?", 1)[0] or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path
