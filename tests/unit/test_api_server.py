"""The local server: static files (no traversal, right content types), API routes, loopback."""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline_lib.api import (
    AnalyticsApi,
    ApiSettings,
    DashboardServer,
    ServeError,
    StaticFiles,
    check_loopback,
    dashboard_dir,
    make_server,
)
from tests.unit.test_api_handler import FakeSource


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>x</title>")
    (root / "app.js").write_text("'use strict';")
    (root / "styles.css").write_text("body{}")
    (root / "vendor" / "lib.js").write_text("//lib")
    (root / ".env").write_text("SECRET=1")
    (tmp_path / "secret.txt").write_text("outside the root")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[DashboardServer]:
    api = AnalyticsApi(FakeSource(), ApiSettings(cache_ttl_seconds=60))
    server = make_server(api, site, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def get(server: DashboardServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    connection.request(method, path)  # sent as is: no client-side normalisation
    response = connection.getresponse()
    response.read_body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/styles.css", "text/css; charset=utf-8"),
        ("/vendor/lib.js", "text/javascript; charset=utf-8"),
    ],
)
def test_static_files_are_served_with_their_content_type(
    server: DashboardServer, path: str, content_type: str
) -> None:
    response = get(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert "script-src 'self'" in (response.getheader("Content-Security-Policy") or "")


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/vendor/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/link.txt",
        "/.env",
        "/index.html%00.js",
        "//etc/passwd",
        "/missing.js",
    ],
)
def test_paths_outside_the_site_are_refused(server: DashboardServer, path: str) -> None:
    response = get(server, path)
    assert response.status == 404
    assert response.getheader("Content-Type") == "application/json"
    body = response.read_body  # type: ignore[attr-defined]
    assert b"outside the root" not in body and b"root:" not in body and b"SECRET" not in body
    assert "error" in json.loads(body)


def test_static_resolver_stays_inside_the_root(site: Path) -> None:
    static = StaticFiles(site)
    assert static.resolve("/") == site.resolve() / "index.html"
    assert static.resolve("/vendor/lib.js") == site.resolve() / "vendor" / "lib.js"
    assert static.resolve("/vendor/../app.js") is None  # '..' segments are refused outright
    assert static.resolve("/../site/app.js") is None


def test_api_routes_are_served(server: DashboardServer) -> None:
    response = get(server, "/analytics?query=top_products&days=7")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Cache-Control") == "max-age=60"
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert json.loads(response.read_body)[0]["revenue"] == 12.5  # type: ignore[attr-defined]
    refused = get(server, "/analytics?query=nope")
    assert refused.status == 400
    assert "allowed" in json.loads(refused.read_body)  # type: ignore[attr-defined]
    health = get(server, "/health")
    assert json.loads(health.read_body)["run_id"] == "run-1"  # type: ignore[attr-defined]
    head = get(server, "/analytics?query=customer_ltv", method="HEAD")
    assert head.status == 200 and head.read_body == b""  # type: ignore[attr-defined]


def test_writes_are_refused(server: DashboardServer) -> None:
    assert get(server, "/index.html", method="POST").status == 405
    assert get(server, "/analytics?query=customer_ltv", method="DELETE").status == 405


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert check_loopback(host) == host


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""])
def test_other_hosts_are_refused(host: str, site: Path) -> None:
    with pytest.raises(ServeError, match=r"127\.0\.0\.1"):
        check_loopback(host)
    with pytest.raises(ServeError):
        make_server(AnalyticsApi(FakeSource()), site, host=host, port=0)


def test_a_taken_port_is_a_clear_error(server: DashboardServer, site: Path) -> None:
    port = server.server_address[1]
    with pytest.raises(ServeError, match="another --port"):
        make_server(AnalyticsApi(FakeSource()), site, host="127.0.0.1", port=port)


def test_the_repository_dashboard_is_complete() -> None:
    root = dashboard_dir()
    for name in ("index.html", "app.js", "styles.css", "config.js", "vendor/chart.umd.js",
                 "vendor/LICENSE.md"):  # fmt: skip
        assert (root / name).is_file(), name
    html = (root / "index.html").read_text()
    assert "http://" not in html and "https://" not in html  # no CDN
    script = (root / "app.js").read_text()
    assert not re.search(r"innerHTML\s*[+]?=|outerHTML|insertAdjacentHTML|document\.write", script)
