"""The analytics API handler: whitelist, parameter checks, cache, CORS, /health, Lambda."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from pipeline_lib.api import (
    AnalyticsApi,
    ApiSettings,
    LiveState,
    allowed_origin,
    api_settings,
    check_origin,
    lambda_handler,
    make_lambda_handler,
    request_of,
)
from pipeline_lib.config import load_settings
from pipeline_lib.exceptions import ConfigError, PipelineError
from pipeline_lib.query import NamedQuery, QueryBudgetError, query_names
from tests.handler_events import http_api_event


class FakeSource:
    """A data source whose live run and answers the test controls."""

    def __init__(self) -> None:
        self.state = LiveState(run_id="run-1", as_of="2026-11-28", published_at="t")
        self.calls: list[tuple[str, dict[str, object], str | None]] = []
        self.rows: list[dict[str, Any]] = [
            {
                "date": date(2026, 11, 28),
                "at": datetime(2026, 11, 28, 12, 30),
                "revenue": 12.5,
                "amount": Decimal("3.25"),
                "missing": float("nan"),
                "infinite": float("inf"),
                "none": None,
                "orders": 3,
                "name": "<script>alert(1)</script>",
            }
        ]
        self.error: Exception | None = None

    def live(self) -> LiveState:
        return self.state

    def run(
        self, query: NamedQuery, params: Mapping[str, object], live: LiveState
    ) -> list[dict[str, Any]]:
        self.calls.append((query.name, dict(params), live.run_id))
        if self.error is not None:
            raise self.error
        return self.rows


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(source: FakeSource, clock: Clock) -> AnalyticsApi:
    return AnalyticsApi(source, ApiSettings(cache_ttl_seconds=300), clock=clock)


def body(response: Any) -> Any:
    return json.loads(response.body)


# --- happy path and JSON ----------------------------------------------------------------


def test_a_named_query_answers_json_rows(api: AnalyticsApi, source: FakeSource) -> None:
    status, headers, text = api.handle("GET", "/analytics", "query=top_products&days=7")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "max-age=300"
    assert "Access-Control-Allow-Origin" not in headers  # no origin configured: no CORS
    assert json.loads(text) == [
        {
            "date": "2026-11-28",
            "at": "2026-11-28T12:30:00",
            "revenue": 12.5,
            "amount": 3.25,
            "missing": None,
            "infinite": None,
            "none": None,
            "orders": 3,
            "name": "<script>alert(1)</script>",
        }
    ]
    assert "NaN" not in text and "Infinity" not in text
    # Parameters reach the source converted, with the declared defaults filled in.
    assert source.calls == [("top_products", {"days": 7, "category": "", "top_n": 20}, "run-1")]


@pytest.mark.parametrize("name", query_names())
def test_every_named_query_is_whitelisted(api: AnalyticsApi, name: str) -> None:
    assert api.handle("GET", "/analytics", f"query={name}").status == 200


def test_trailing_slash_and_head_are_accepted(api: AnalyticsApi) -> None:
    assert api.handle("GET", "/analytics/", "query=customer_ltv").status == 200
    assert api.handle("HEAD", "/analytics", "query=customer_ltv").status == 200


# --- refusals ---------------------------------------------------------------------------


def assert_refused(response: Any, status: int, fragment: str, allowed: list[str]) -> None:
    assert response.status == status, response
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    payload = body(response)
    assert set(payload) == {"error", "allowed"}
    assert fragment in payload["error"]
    assert payload["allowed"] == allowed


def test_unknown_query_is_a_400_listing_the_queries(api: AnalyticsApi, source: FakeSource) -> None:
    response = api.handle("GET", "/analytics", "query=drop_tables")
    assert_refused(response, 400, "unknown query 'drop_tables'", query_names())
    assert source.calls == []


def test_sql_text_is_never_run(api: AnalyticsApi, source: FakeSource) -> None:
    response = api.handle("GET", "/analytics", "query=select+*+from+curated.transactions")
    assert_refused(response, 400, "unknown query", query_names())
    assert source.calls == []


def test_missing_query_is_a_400(api: AnalyticsApi) -> None:
    assert_refused(api.handle("GET", "/analytics", ""), 400, "missing ?query", query_names())
    assert_refused(api.handle("GET", "/analytics", "query="), 400, "missing", query_names())


def test_bad_type_is_a_400_with_the_rule(api: AnalyticsApi, source: FakeSource) -> None:
    response = api.handle("GET", "/analytics", "query=top_products&days=seven")
    assert_refused(response, 400, "'seven' is not a valid int", ["days: int, default 30, 1..3660"])
    assert source.calls == []


@pytest.mark.parametrize("days", ["0", "3661", "-5", "1.5"])
def test_out_of_range_is_a_400(api: AnalyticsApi, days: str) -> None:
    response = api.handle("GET", "/analytics", f"query=top_products&days={days}")
    assert response.status == 400
    assert body(response)["allowed"] == ["days: int, default 30, 1..3660"]


def test_a_value_outside_the_choices_is_a_400(api: AnalyticsApi) -> None:
    response = api.handle("GET", "/analytics", "query=revenue_trend&grain=week")
    assert_refused(
        response, 400, "'week' is not allowed", ["grain: str, default 'day', one of 'day', 'month'"]
    )


def test_unknown_parameter_is_a_400_listing_the_parameters(api: AnalyticsApi) -> None:
    response = api.handle("GET", "/analytics", "query=top_products&limit=5")
    assert_refused(response, 400, "no parameter 'limit'", ["query", "days", "category", "top_n"])


def test_repeated_parameter_is_a_400(api: AnalyticsApi) -> None:
    response = api.handle("GET", "/analytics", "query=top_products&days=7&days=8")
    assert_refused(response, 400, "more than once", ["days"])


def test_overlong_query_string_is_a_400(api: AnalyticsApi) -> None:
    response = api.handle("GET", "/analytics", "query=top_products&category=" + "x" * 3000)
    assert response.status == 400


def test_unknown_path_is_a_json_404(api: AnalyticsApi) -> None:
    assert_refused(api.handle("GET", "/admin", ""), 404, "no such path", ["/analytics", "/health"])


def test_other_methods_are_a_405(api: AnalyticsApi) -> None:
    assert_refused(
        api.handle("POST", "/analytics", "query=top_products"),
        405,
        "method POST",
        ["GET", "HEAD", "OPTIONS"],
    )


def test_over_budget_is_a_400(api: AnalyticsApi, source: FakeSource) -> None:
    source.error = QueryBudgetError("query daily_kpis would scan 2 GiB; narrow its window")
    response = api.handle("GET", "/analytics", "query=daily_kpis&days=3000")
    assert response.status == 400
    assert body(response)["allowed"] == ["days: int, default 90, 1..3660"]


def test_a_broken_lake_is_a_503_and_a_bug_a_500(
    api: AnalyticsApi, source: FakeSource, caplog: pytest.LogCaptureFixture
) -> None:
    source.error = PipelineError(
        "no catalog at /srv/secret/lake/_meta/catalog.duckdb: run `ecom-pipeline run`"
    )
    with caplog.at_level(logging.WARNING, logger="pipeline_lib.api"):
        response = api.handle("GET", "/analytics", "query=customer_ltv")
    assert response.status == 503
    message = body(response)["error"]
    assert "/srv/secret" not in response.body and "catalog.duckdb" not in response.body
    assert "server log" in message and "ecom-pipeline run" in message
    assert "/srv/secret/lake/_meta/catalog.duckdb" in caplog.text  # the detail, for the operator
    source.error = RuntimeError("secret internals")
    response = api.handle("GET", "/analytics", "query=customer_ltv&")
    assert response.status == 500
    assert "secret" not in response.body


def test_no_published_run_is_a_503(api: AnalyticsApi, source: FakeSource) -> None:
    source.state = LiveState()
    assert api.handle("GET", "/analytics", "query=customer_ltv").status == 503
    health = api.handle("GET", "/health", "")
    assert health.status == 503
    assert body(health)["status"] == "no published data"


# --- cache ------------------------------------------------------------------------------


def test_answers_are_cached_for_the_ttl(
    api: AnalyticsApi, source: FakeSource, clock: Clock
) -> None:
    first = api.handle("GET", "/analytics", "query=top_products&days=7")
    clock.now += 299
    second = api.handle("GET", "/analytics", "query=top_products&days=07")  # same bound value
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert second.body == first.body
    assert len(source.calls) == 1
    clock.now += 2  # past 300 s
    third = api.handle("GET", "/analytics", "query=top_products&days=7")
    assert third.headers["X-Cache"] == "miss"
    assert len(source.calls) == 2


def test_different_parameters_are_cached_apart(api: AnalyticsApi, source: FakeSource) -> None:
    api.handle("GET", "/analytics", "query=top_products&days=7")
    api.handle("GET", "/analytics", "query=top_products&days=8")
    api.handle("GET", "/analytics", "query=top_products")
    api.handle("GET", "/analytics", "query=top_products&days=30")  # the default, spelled out
    assert [c[1]["days"] for c in source.calls] == [7, 8, 30]


def test_a_new_publish_invalidates_the_cache(api: AnalyticsApi, source: FakeSource) -> None:
    api.handle("GET", "/analytics", "query=customer_ltv")
    source.state = LiveState(run_id="run-2", as_of="2026-11-29")
    response = api.handle("GET", "/analytics", "query=customer_ltv")
    assert response.headers["X-Cache"] == "miss"
    assert response.headers["X-Run-Id"] == "run-2"
    assert [c[2] for c in source.calls] == ["run-1", "run-2"]


def test_errors_are_not_cached(api: AnalyticsApi, source: FakeSource) -> None:
    source.error = PipelineError("catalog busy")
    assert api.handle("GET", "/analytics", "query=customer_ltv").status == 503
    source.error = None
    assert api.handle("GET", "/analytics", "query=customer_ltv").status == 200
    assert len(source.calls) == 2


def test_ttl_zero_disables_the_cache(source: FakeSource) -> None:
    api = AnalyticsApi(source, ApiSettings(cache_ttl_seconds=0))
    api.handle("GET", "/analytics", "query=customer_ltv")
    response = api.handle("GET", "/analytics", "query=customer_ltv")
    assert response.headers["X-Cache"] == "miss"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(source.calls) == 2


# --- CORS, health, settings -------------------------------------------------------------


DASHBOARD = "https://d111111abcdef8.cloudfront.net"


def test_the_cors_origin_is_the_one_configured(source: FakeSource) -> None:
    api = AnalyticsApi(source, cors_origin=DASHBOARD)
    response = api.handle("GET", "/analytics", "query=customer_ltv")
    assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
    assert response.headers["Vary"] == "Origin"
    refused = api.handle("GET", "/analytics", "query=nope")
    assert refused.headers["Access-Control-Allow-Origin"] == DASHBOARD
    status, headers, text = api.handle("OPTIONS", "/analytics", "")
    assert status == 204 and text == ""
    assert headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert headers["Access-Control-Allow-Origin"] == DASHBOARD


def test_without_an_origin_no_cors_header_is_sent(source: FakeSource) -> None:
    api = AnalyticsApi(source, ApiSettings())
    for method, path, query in [
        ("GET", "/analytics", "query=customer_ltv"),
        ("GET", "/health", ""),
        ("GET", "/analytics", "query=nope"),
        ("OPTIONS", "/analytics", ""),
    ]:
        status, headers, _ = api.handle(method, path, query)
        assert status < 500
        assert not [h for h in headers if h.lower().startswith("access-control")], method
    assert api.handle("OPTIONS", "/analytics", "").headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "",
        "null",
        "d111111abcdef8.cloudfront.net",
        "https://a.example, https://b.example",
        "https://a.example/dashboard",
        "https://a.example/",
        "ftp://a.example",
        "https://a.example\r\nSet-Cookie: x=1",
    ],
)
def test_a_wildcard_or_malformed_origin_is_refused(source: FakeSource, origin: str) -> None:
    with pytest.raises(ConfigError, match="ALLOWED_ORIGIN"):
        check_origin(origin)
    with pytest.raises(ConfigError, match="ALLOWED_ORIGIN"):
        AnalyticsApi(source, cors_origin=origin)


@pytest.mark.parametrize("origin", [DASHBOARD, "https://dash.example.com", "http://localhost:8050"])
def test_one_origin_is_accepted(origin: str) -> None:
    assert check_origin(origin) == origin


def test_allowed_origin_reads_the_environment() -> None:
    assert allowed_origin({}) is None
    assert allowed_origin({"ALLOWED_ORIGIN": "  "}) is None
    assert allowed_origin({"ALLOWED_ORIGIN": f" {DASHBOARD} "}) == DASHBOARD
    with pytest.raises(ConfigError, match="ALLOWED_ORIGIN"):
        allowed_origin({"ALLOWED_ORIGIN": "*"})


def test_health_names_the_live_run(api: AnalyticsApi) -> None:
    response = api.handle("GET", "/health", "")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    payload = body(response)
    assert (payload["status"], payload["run_id"], payload["as_of"]) == ("ok", "run-1", "2026-11-28")
    assert payload["queries"] == query_names()


def test_every_params_file_has_the_api_section() -> None:
    for env in ("local", "dev", "staging", "prod"):
        assert api_settings(load_settings(env=env, lake="lake")) == ApiSettings(300)


@pytest.mark.parametrize(
    "raw", [{"cache_ttl_seconds": -1}, {"cors_origin": "*"}, {"ttl": 5}, "five"]
)
def test_bad_api_settings_are_refused(raw: object) -> None:
    settings = load_settings(env="local", lake="lake")
    broken = type(settings)(env="local", lake="lake", params={"api": raw})
    with pytest.raises(ConfigError, match="api"):
        api_settings(broken)


# --- Lambda (API Gateway HTTP API, payload format 2.0) ----------------------------------


def test_lambda_handler_answers_a_payload_v2_event(api: AnalyticsApi) -> None:
    handler = make_lambda_handler(api)
    answer = handler(http_api_event("/analytics", "query=top_products&days=7"), None)
    assert set(answer) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert answer["statusCode"] == 200
    assert answer["isBase64Encoded"] is False
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Cache-Control"] == "max-age=300"
    assert json.loads(answer["body"])[0]["name"] == "<script>alert(1)</script>"


def test_lambda_handler_refuses_like_the_server(api: AnalyticsApi) -> None:
    handler = make_lambda_handler(api)
    answer = handler(http_api_event("/analytics", "query=nope"), None)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["allowed"] == query_names()
    assert handler(http_api_event("/nope", ""), None)["statusCode"] == 404
    assert handler(http_api_event("/analytics", "", method="DELETE"), None)["statusCode"] == 405


def test_a_named_stage_is_stripped_from_the_path() -> None:
    event = http_api_event("/prod/analytics", "query=customer_ltv", stage="prod")
    assert request_of(event) == ("GET", "/analytics", "query=customer_ltv")
    assert request_of(http_api_event("/health", "")) == ("GET", "/health", "")


def test_the_default_lambda_handler_reads_the_environment(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_ENV", "local")
    monkeypatch.setenv("PIPELINE_LAKE", str(tmp_path / "empty-lake"))
    monkeypatch.setattr("pipeline_lib.api._lambda._default", None)
    answer = lambda_handler(http_api_event("/health", ""), None)
    assert answer["statusCode"] == 503  # nothing published in an empty lake
    assert json.loads(answer["body"])["run_id"] is None


@pytest.fixture
def lambda_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PIPELINE_ENV", "local")
    monkeypatch.setenv("PIPELINE_LAKE", str(tmp_path / "empty-lake"))
    monkeypatch.delenv("ALLOWED_ORIGIN", raising=False)
    monkeypatch.setattr("pipeline_lib.api._lambda._default", None)
    return monkeypatch


def test_the_lambda_allows_the_dashboard_origin_of_the_environment(
    lambda_env: pytest.MonkeyPatch,
) -> None:
    lambda_env.setenv("ALLOWED_ORIGIN", DASHBOARD)
    answer = lambda_handler(http_api_event("/health", ""), None)
    assert answer["headers"]["Access-Control-Allow-Origin"] == DASHBOARD
    assert answer["headers"]["Vary"] == "Origin"


def test_the_lambda_sends_no_cors_header_without_allowed_origin(
    lambda_env: pytest.MonkeyPatch,
) -> None:
    answer = lambda_handler(http_api_event("/health", ""), None)
    assert not [h for h in answer["headers"] if h.lower().startswith("access-control")]


def test_the_lambda_refuses_a_wildcard_origin(lambda_env: pytest.MonkeyPatch) -> None:
    lambda_env.setenv("ALLOWED_ORIGIN", "*")
    with pytest.raises(ConfigError, match="never '\\*'"):
        lambda_handler(http_api_event("/health", ""), None)
