"""api_handler: API Gateway (HTTP API, payload 2.0) -> the analytics API over the lake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline_lib.handlers import api_handler
from tests.handler_events import PublishedLake, http_api_event

pytestmark = pytest.mark.slow


@pytest.fixture
def from_env(built: PublishedLake, monkeypatch: pytest.MonkeyPatch) -> PublishedLake:
    """The Lambda's environment: PIPELINE_ENV and PIPELINE_LAKE, a cold container."""
    monkeypatch.setenv("PIPELINE_ENV", "local")
    monkeypatch.setenv("PIPELINE_LAKE", str(built.lake.root))
    monkeypatch.setattr("pipeline_lib.api._lambda._default", None)
    return built


def call(event: dict[str, Any]) -> dict[str, Any]:
    answer = api_handler.handler(event, None)
    assert set(answer) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert answer["isBase64Encoded"] is False
    assert answer["headers"]["Content-Type"] == "application/json"
    return answer


def test_a_named_query_answers_json_rows(from_env: PublishedLake) -> None:
    answer = call(http_api_event("/analytics", "query=top_products&days=30&top_n=5"))
    assert answer["statusCode"] == 200
    assert answer["headers"]["X-Run-Id"] == from_env.run_id
    rows = json.loads(answer["body"])
    assert isinstance(rows, list) and 0 < len(rows) <= 5
    assert all(isinstance(row, dict) and row for row in rows)
    # A warm container answers the same request from its cache.
    again = call(http_api_event("/analytics", "query=top_products&days=30&top_n=5"))
    assert (answer["headers"]["X-Cache"], again["headers"]["X-Cache"]) == ("miss", "hit")
    assert again["body"] == answer["body"]


def test_health_names_the_published_run(from_env: PublishedLake) -> None:
    answer = call(http_api_event("/health"))
    assert answer["statusCode"] == 200
    health = json.loads(answer["body"])
    assert (health["status"], health["run_id"]) == ("ok", from_env.run_id)
    assert health["as_of"] == from_env.as_of.isoformat()


def test_an_unknown_query_is_a_400(from_env: PublishedLake) -> None:
    answer = call(http_api_event("/analytics", "query=drop_tables"))
    assert answer["statusCode"] == 400
    assert "unknown query" in json.loads(answer["body"])["error"]
