"""The API over a real published lake: same rows as the engine; a new publish is seen."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline_lib.api import AnalyticsApi, ApiSettings, LakeSource
from pipeline_lib.catalog import read_published, write_published
from pipeline_lib.query import DuckDBEngine
from pipeline_lib.storage import LocalLake
from tests.lake_builder import AS_OF, build_lake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    return build_lake(tmp_path_factory.mktemp("api_lake"))


def test_rows_equal_the_engine_rows(lake: LocalLake) -> None:
    api = AnalyticsApi(LakeSource(lake))
    for query, params in [
        ("current_kpis", "days=30"),
        ("conversion_funnel", "days=7"),
        ("revenue_trend", "days=30&grain=day"),
    ]:
        status, _, body = api.handle("GET", "/analytics", f"query={query}&{params}")
        assert status == 200
        expected = DuckDBEngine(lake, as_of=AS_OF).run(
            query, dict(p.split("=") for p in params.split("&"))
        )
        assert json.loads(body) == json.loads(json.dumps(expected.to_records()))
    funnel = json.loads(api.handle("GET", "/analytics", "query=conversion_funnel&days=7").body)
    assert funnel[0]["date"] == AS_OF.isoformat()  # ISO text, CURRENT_DATE = the run's as-of
    assert isinstance(funnel[0]["page_views"], int)


def test_a_new_publish_invalidates_cached_answers(lake: LocalLake, tmp_path: Path) -> None:
    api = AnalyticsApi(LakeSource(lake), ApiSettings(cache_ttl_seconds=3600))
    first = api.handle("GET", "/analytics", "query=customer_ltv")
    again = api.handle("GET", "/analytics", "query=customer_ltv")
    assert (first.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")
    state = read_published(lake)
    try:
        write_published(lake, replace(state, run_id="republished"))
        after = api.handle("GET", "/analytics", "query=customer_ltv")
        assert after.headers["X-Cache"] == "miss"
        assert after.headers["X-Run-Id"] == "republished"
        health = json.loads(api.handle("GET", "/health", "").body)
        assert health["run_id"] == "republished"
    finally:
        write_published(lake, state)
