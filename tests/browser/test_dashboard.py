"""The dashboard in headless Chromium (Debian's package) against a small served lake.

Needs /usr/bin/chromium (`make browser` installs it); Playwright drives it, no
`playwright install`. Each test gets a fresh page; one server and lake serve the module.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline_lib.api import AnalyticsApi, ApiSettings, DashboardServer, LakeSource, make_server
from pipeline_lib.api import dashboard_dir as site_dir
from tests.lake_builder import build_lake

HOSTILE_NAME = "<script>alert(1)</script>"

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPORTS = Path(__file__).resolve().parent.parent.parent / "reports"
CANVASES = ["revenue-chart", "products-chart", "funnel-chart", "segments-chart"]

if not CHROMIUM.exists():  # pragma: no cover - `make test` installs it first
    pytest.fail("Chromium is missing: run `make browser` (apt-get install chromium)")

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    lake = build_lake(tmp_path_factory.mktemp("dash_lake"))
    api = AnalyticsApi(LakeSource(lake), ApiSettings(cache_ttl_seconds=300))
    server = make_server(api, site_dir(), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page plus what it logged."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def dismiss(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)

    def open(self, server: DashboardServer, state: str = "ready") -> None:
        self.page.goto(server.url)
        self.page.wait_for_selector(f"body[data-state={state}]", timeout=30_000)


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield Page(context.new_page())
    context.close()


def api_rows(server: DashboardServer, query: str) -> list[dict[str, Any]]:
    status, _, body = server.api.handle("GET", "/analytics", query)
    assert status == 200, body
    rows = json.loads(body)
    assert isinstance(rows, list)
    return rows


def chart_points(page: Page) -> dict[str, int]:
    return page.page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
            const chart = Chart.getChart(document.getElementById(id));
            return [id, chart ? chart.data.datasets[0].data.length : -1];
        }))""",
        CANVASES,
    )


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def change(value: float) -> str:
    return f"{value:+.2f}%" if value else "0.00%"


def test_every_chart_and_table_has_data_and_no_console_errors(
    page: Page, server: DashboardServer
) -> None:
    page.open(server)
    points = chart_points(page)
    assert all(count > 0 for count in points.values()), points
    assert points["funnel-chart"] == 5
    assert points["revenue-chart"] == 30  # the 30 days of the KPI window
    for table in ("recommendations-table", "top-rated-table"):
        rows = page.page.locator(f"#{table} tbody tr")
        assert rows.count() > 0
        assert rows.first.locator("td").count() >= 4
    assert page.page.locator("#error-banner").is_hidden()
    assert page.page.locator("#last-updated").inner_text() != "never"
    assert page.errors == []
    REPORTS.mkdir(exist_ok=True)
    page.page.wait_for_timeout(700)  # let the chart animations end
    page.page.screenshot(path=str(REPORTS / "dashboard.png"), full_page=True)
    assert (REPORTS / "dashboard.png").stat().st_size > 10_000


def test_kpi_cards_show_the_api_values(page: Page, server: DashboardServer) -> None:
    page.open(server)
    kpis = api_rows(server, "query=current_kpis&days=30")[0]
    expected = {
        "total-revenue": (money(kpis["total_revenue"]), kpis["total_revenue_change"]),
        "total-orders": (f"{kpis['total_orders']:,}", kpis["total_orders_change"]),
        "avg-order-value": (money(kpis["avg_order_value"]), kpis["avg_order_value_change"]),
        "conversion-rate": (f"{kpis['conversion_rate']:.2f}%", kpis["conversion_rate_change"]),
    }
    for card, (value, delta) in expected.items():
        assert page.page.locator(f"#{card} .kpi-value").inner_text() == value
        shown = page.page.locator(f"#{card} .kpi-change")
        assert change(delta) in shown.inner_text()
        direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
        assert direction in (shown.get_attribute("class") or "")


def test_chart_data_matches_the_api(page: Page, server: DashboardServer) -> None:
    page.open(server)
    top = api_rows(server, "query=top_products&days=30&top_n=10")  # the KPI window, as shown
    data = page.page.evaluate(
        """() => {
            const products = Chart.getChart(document.getElementById('products-chart'));
            const segments = Chart.getChart(document.getElementById('segments-chart'));
            return {labels: products.data.labels, values: products.data.datasets[0].data,
                    segments: segments.data.datasets[0].data};
        }"""
    )
    assert data["labels"] == [r["name"] for r in top]
    assert data["values"] == [r["total_revenue"] for r in top]
    segments = api_rows(server, "query=customer_ltv")
    assert data["segments"] == [r["customer_count"] for r in segments]


def test_a_script_in_a_product_name_is_shown_as_text(page: Page, server: DashboardServer) -> None:
    hostile = [
        {
            "product_id": "p1",
            "product_name": HOSTILE_NAME,
            "recommended_product_id": "p2",
            "recommended_product_name": '<img src=x onerror="alert(2)">',
            "recommended_category": "x",
            "pair_count": 3,
            "support": 0.1,
            "confidence": 0.5,
            "lift": 2.0,
        }
    ]

    def recommendations(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile))

    page.page.route("**/analytics?query=product_recommendations*", recommendations)
    page.page.route("**/analytics?query=top_products*", rename_first("name"))
    page.page.route("**/analytics?query=top_rated_products*", rename_first("name"))
    page.open(server)
    assert chart_labels(page, "products-chart")[0] == HOSTILE_NAME
    assert page.page.locator("#top-rated-table tbody td").first.inner_text() == HOSTILE_NAME
    cells = page.page.locator("#recommendations-table tbody td")
    assert cells.nth(0).inner_text() == HOSTILE_NAME
    assert cells.nth(1).inner_text() == '<img src=x onerror="alert(2)">'
    assert page.page.locator("main script, main img").count() == 0
    page.page.wait_for_timeout(300)
    assert page.dialogs == []


def rename_first(column: str) -> Any:
    """A route handler: the real API answer, its first row renamed to HOSTILE_NAME."""

    def handle(route: Any) -> None:
        response = route.fetch()
        rows = response.json()
        rows[0][column] = HOSTILE_NAME
        route.fulfill(response=response, body=json.dumps(rows))

    return handle


def chart_labels(page: Page, canvas: str) -> list[str]:
    return page.page.evaluate(
        "(id) => Chart.getChart(document.getElementById(id)).data.labels", canvas
    )


def test_an_api_failure_shows_the_error_and_keeps_the_data(
    page: Page, server: DashboardServer
) -> None:
    page.open(server)
    revenue = page.page.locator("#total-revenue .kpi-value").inner_text()
    page.page.route(
        "**/analytics?*",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body='{"error": "lake on fire"}'
        ),
    )
    page.page.click("#refresh")
    page.page.wait_for_selector("body[data-state=error]", timeout=30_000)
    banner = page.page.locator("#error-banner")
    assert banner.is_visible()
    assert "lake on fire" in banner.inner_text()
    assert banner.get_attribute("role") == "alert"
    assert page.page.locator("#total-revenue .kpi-value").inner_text() == revenue
    assert all(count > 0 for count in chart_points(page).values())


def test_an_unreachable_api_shows_the_error(browser: Any, server: DashboardServer) -> None:
    context = browser.new_context(locale="en-US")
    try:
        # A closed loopback port: config values set before config.js loads take precedence.
        context.add_init_script("window.DASHBOARD_CONFIG = {apiBase: 'http://127.0.0.1:9'};")
        page = Page(context.new_page())
        page.open(server, state="error")
        assert "cannot reach the analytics API" in page.page.locator("#error-message").inner_text()
        assert page.page.locator("#status").inner_text() == "Data could not be loaded."
        assert page.page.locator("#status").get_attribute("aria-live") == "polite"
    finally:
        context.close()


def test_refreshing_updates_charts_in_place(page: Page, server: DashboardServer) -> None:
    page.open(server)
    before = page.page.evaluate(
        """(ids) => {
            window.__charts = ids.map((id) => Chart.getChart(document.getElementById(id)));
            return Object.keys(Chart.instances).length;
        }""",
        CANVASES,
    )
    assert before == len(CANVASES)
    for expected in (2, 3):
        page.page.click("#refresh")
        page.page.wait_for_selector(f"body[data-refreshes='{expected}'][data-state=ready]")
    same = page.page.evaluate(
        """(ids) => ids.every((id, i) =>
            Chart.getChart(document.getElementById(id)) === window.__charts[i])""",
        CANVASES,
    )
    assert same
    assert page.page.evaluate("Object.keys(Chart.instances).length") == len(CANVASES)
    assert page.errors == []


def test_a_phone_screen_has_no_horizontal_scroll(browser: Any, server: DashboardServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-US")
    try:
        page = Page(context.new_page())
        page.open(server)
        widths = page.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1] == 375
        assert page.errors == []
    finally:
        context.close()


def test_canvases_and_status_are_accessible(page: Page, server: DashboardServer) -> None:
    page.open(server)
    for canvas in CANVASES:
        element = page.page.locator(f"#{canvas}")
        assert element.get_attribute("role") == "img"
        assert (element.get_attribute("aria-label") or "").strip()
    assert page.page.locator("h1").count() == 1
    assert page.page.locator("h2").count() >= 6
    assert page.page.locator("main").get_attribute("aria-busy") == "false"
