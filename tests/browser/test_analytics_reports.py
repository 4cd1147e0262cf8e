"""The analytics reports in headless Chromium: linked from the dashboard, drawn offline.

The local server serves ``<reports>/analytics/`` under its own Content-Security-Policy
(inline scripts for plotly's figures, nothing fetched); a policy that blocked the charts
would show here as console errors and empty figures.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline_lib.analytics.reports import render_report
from pipeline_lib.analytics.settings import analytics_settings
from pipeline_lib.api import AnalyticsApi, ApiSettings, DashboardServer, LakeSource, make_server
from pipeline_lib.api import dashboard_dir as site_dir
from pipeline_lib.config import load_settings
from pipeline_lib.query import load_queries
from tests.browser.test_dashboard import ARGS, CHROMIUM, Page, sync_api
from tests.lake_builder import AS_OF, build_lake

pytestmark = pytest.mark.browser

RENDERED = ("product_recommendations", "revenue_trends")
HOSTILE = '<img src=x onerror="alert(3)">'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    root = tmp_path_factory.mktemp("reports_site")
    lake = build_lake(root)
    for name in RENDERED:
        assert render_report(name, lake=lake, reports_dir=root / "reports").ok
    defaults = analytics_settings(load_settings(env="local")).query_defaults()
    api = AnalyticsApi(
        LakeSource(lake),
        ApiSettings(cache_ttl_seconds=300),
        queries=load_queries(defaults=defaults),
    )
    server = make_server(api, site_dir(), host="127.0.0.1", port=0, reports_dir=root / "reports")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield Page(context.new_page())
    context.close()


def test_the_dashboard_links_the_latest_reports(page: Page, server: DashboardServer) -> None:
    page.open(server)
    links = page.page.locator("#reports-list a")
    assert links.count() == len(RENDERED)
    hrefs = sorted(str(links.nth(i).get_attribute("href")) for i in range(links.count()))
    assert hrefs == [f"{server.url}reports/analytics/{AS_OF}/{name}.html" for name in RENDERED]
    headlines = page.page.locator("#reports-list .headline")
    assert headlines.count() == len(RENDERED) and "baskets" in headlines.all_inner_texts()[0]
    assert AS_OF.isoformat() in page.page.locator("#reports-note").inner_text()
    assert page.errors == []


@pytest.mark.parametrize("name", RENDERED)
def test_a_report_draws_its_charts_under_the_servers_policy(
    page: Page, server: DashboardServer, name: str
) -> None:
    page.page.goto(f"{server.url}reports/analytics/{AS_OF}/{name}.html")
    figures = page.page.locator(".plotly-graph-div")
    assert figures.count() >= 1
    page.page.wait_for_function(
        "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= n",
        arg=figures.count(),
        timeout=30_000,
    )
    assert page.page.locator(".analytics-conclusions li").count() >= 2
    assert page.errors == []  # a Content-Security-Policy violation is a console error
    page.page.locator("nav.report-nav a").first.click()
    page.page.wait_for_selector(f'tr[data-report="{name}"]')


def test_report_links_outside_the_reports_are_dropped_and_titles_are_text(
    page: Page, server: DashboardServer
) -> None:
    latest = {
        "as_of": "2026-11-28",
        "index": "javascript:alert(1)",
        "reports": [
            {
                "name": "a",
                "title": HOSTILE,
                "href": "2026-11-28/a.html",
                "status": "ok",
                "headline": HOSTILE,
            },
            {"name": "b", "title": "script", "href": "javascript:alert(2)", "status": "ok"},
            {"name": "c", "title": "elsewhere", "href": "https://evil.test/c.html", "status": "ok"},
            {"name": "d", "title": "up", "href": "../../secret.html", "status": "ok"},
        ],
    }

    def fulfil(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(latest))

    page.page.route("**/reports/analytics/latest.json", fulfil)
    page.open(server)
    links = page.page.locator("#reports-list a")
    assert links.count() == 1
    assert links.first.inner_text() == HOSTILE
    assert page.page.locator("#reports-list .headline").first.inner_text() == HOSTILE
    assert page.page.locator("#reports-list img, #reports-note a").count() == 0
    page.page.wait_for_timeout(300)
    assert page.dialogs == []
