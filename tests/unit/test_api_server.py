"""The local server: static files (no traversal, right content types), API routes, loopback,
no CORS, Host checks, timeouts, a connection cap and quiet client disconnects."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from pipeline_lib.api import (
    AnalyticsApi,
    ApiSettings,
    DashboardServer,
    LakeSource,
    ServeError,
    StaticFiles,
    check_loopback,
    dashboard_dir,
    make_server,
)
from pipeline_lib.catalog import PublishedState, write_published
from pipeline_lib.storage import LocalLake
from tests.unit.test_api_app import FakeSource


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


StartServer = Callable[..., DashboardServer]


@pytest.fixture
def start_server(site: Path) -> Iterator[StartServer]:
    """Start real servers on free loopback ports; all are stopped after the test."""
    running: list[tuple[DashboardServer, threading.Thread]] = []

    def start(api: Any = None, root: Path = site, **options: Any) -> DashboardServer:
        api = api or AnalyticsApi(FakeSource(), ApiSettings(cache_ttl_seconds=60))
        server = make_server(api, root, host="127.0.0.1", port=0, **options)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(start_server: StartServer) -> DashboardServer:
    return start_server()


def get(
    server: DashboardServer,
    path: str,
    method: str = "GET",
    headers: Optional[dict[str, str]] = None,
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    connection.request(method, path, headers=headers or {})  # sent as is: no normalisation
    response = connection.getresponse()
    response.read_body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def cors_headers(response: http.client.HTTPResponse) -> list[str]:
    return [name for name, _ in response.getheaders() if name.lower().startswith("access-control")]


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
    for name in (
        "index.html",
        "app.js",
        "styles.css",
        "config.js",
        "vendor/chart.umd.js",
        "vendor/LICENSE.md",
    ):
        assert (root / name).is_file(), name
    html = (root / "index.html").read_text()
    assert "http://" not in html and "https://" not in html  # no CDN
    script = (root / "app.js").read_text()
    assert not re.search(r"innerHTML\s*[+]?=|outerHTML|insertAdjacentHTML|document\.write", script)


# --- no CORS locally, and only requests addressed to this server -------------------------


def test_the_local_server_sends_no_cors_header(start_server: StartServer) -> None:
    # Same-origin dashboard: a CORS header would only let other websites read the numbers,
    # even when the API object was built with an origin (as it is on AWS).
    for api in (None, AnalyticsApi(FakeSource(), cors_origin="https://dash.example.com")):
        server = start_server(api)
        for method, path in [
            ("GET", "/analytics?query=top_products"),
            ("GET", "/health"),
            ("OPTIONS", "/analytics"),
            ("GET", "/analytics?query=nope"),
            ("GET", "/"),
            ("GET", "/missing.js"),
        ]:
            response = get(server, path, method=method, headers={"Origin": "https://evil.test"})
            assert response.status < 500, (method, path)
            assert cors_headers(response) == [], (method, path)


def test_the_content_security_policy_connects_to_self_only(server: DashboardServer) -> None:
    policy = get(server, "/").getheader("Content-Security-Policy") or ""
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["connect-src"] == ["'self'"]


def allowed_hosts(port: int) -> list[str]:
    return [f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}", f"[::1]:{port}"]


def test_requests_addressed_to_loopback_are_answered(server: DashboardServer) -> None:
    for host in allowed_hosts(server.server_address[1]):
        assert get(server, "/health", headers={"Host": host}).status == 200, host
        assert get(server, "/", headers={"Host": host}).status == 200, host


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",  # a DNS-rebinding page: evil.example now resolves to 127.0.0.1
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example:{port}",
        "127.0.0.1:1",  # another port: another server
        "127.0.0.1",
        "0.0.0.0:{port}",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/analytics?query=top_products", "/health", "/", "/app.js"])
def test_other_hosts_are_misdirected(server: DashboardServer, host: str, path: str) -> None:
    port = server.server_address[1]
    response = get(server, path, headers={"Host": host.format(port=port)})
    assert response.status == 421
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    body = response.read_body.decode()  # type: ignore[attr-defined]
    assert f"http://127.0.0.1:{port}/" in body and len(body) < 300
    assert "revenue" not in body and "run-1" not in body
    assert cors_headers(response) == []


def raw_exchange(server: DashboardServer, request: bytes, timeout: float = 10) -> bytes:
    """Send ``request`` as is on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_a_request_without_host_or_with_two_is_misdirected(server: DashboardServer) -> None:
    port = server.server_address[1]
    assert raw_exchange(server, b"GET /health HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 421 ")
    twice = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n"
    assert raw_exchange(server, twice.encode()).startswith(b"HTTP/1.0 421 ")


# --- robustness: long names, slow and vanishing clients, connection cap ------------------


@pytest.mark.parametrize(
    "path", ["/" + "a" * 300, "/vendor/" + "b" * 300 + "/lib.js", "/" + "c" * 256 + ".js"]
)
def test_an_overlong_path_segment_is_a_404(server: DashboardServer, path: str) -> None:
    response = get(server, path)
    assert response.status == 404
    assert "error" in json.loads(response.read_body)  # type: ignore[attr-defined]
    assert get(server, "/").status == 200  # and the server still answers


def test_a_half_sent_request_is_closed_after_the_timeout(start_server: StartServer) -> None:
    server = start_server(request_timeout=1.0)
    port = server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        slow.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())  # no blank line
        started = time.monotonic()
        assert slow.recv(1024) == b""  # the server closed the connection...
        assert 0.5 < time.monotonic() - started < 5  # ...after about request_timeout


def test_a_client_that_disconnects_mid_answer_leaves_one_log_line(
    start_server: StartServer,
    site: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    (site / "big.txt").write_bytes(b"x" * (32 * 1024 * 1024))  # far more than socket buffers
    server = start_server()
    port = server.server_address[1]
    caplog.set_level(logging.INFO, logger="pipeline_lib.api")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(f"GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert client.recv(1024).startswith(b"HTTP/1.0 200 ")
        # Close with unread data and no lingering: the server's next write fails.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def disconnects() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "closed the connection" in r.getMessage()]

    deadline = time.monotonic() + 10
    while not disconnects() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get(server, "/health").status == 200  # the server is unharmed
    (record,) = disconnects()
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "Traceback" not in caplog.text
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Error" not in captured.err


def test_a_503_names_no_filesystem_path(
    start_server: StartServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A lake whose published state names a run but whose catalog is gone.
    lake = LocalLake(tmp_path / "secret-lake")
    write_published(lake, PublishedState(run_id="run-1", as_of="2026-11-28"))
    server = start_server(AnalyticsApi(LakeSource(lake)))
    caplog.set_level(logging.WARNING, logger="pipeline_lib.api")
    response = get(server, "/analytics?query=customer_ltv")
    assert response.status == 503
    text = response.read_body.decode()  # type: ignore[attr-defined]
    assert str(tmp_path) not in text and "secret-lake" not in text and "/tmp" not in text
    assert "server log" in json.loads(text)["error"]
    assert str(lake.root) in caplog.text  # the detail is in the log for the operator


def test_connections_over_the_cap_get_a_quick_503(start_server: StartServer) -> None:
    server = start_server(max_connections=2, request_timeout=10.0)
    port = server.server_address[1]
    # Two clients that connect and say nothing hold both slots.
    holders = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
    try:
        started = time.monotonic()
        refused = get(server, "/health")
        assert refused.status == 503
        assert time.monotonic() - started < 2  # answered at once, not after the timeout
        assert refused.getheader("Retry-After") == "1"
        assert b"busy" in refused.read_body  # type: ignore[attr-defined]
    finally:
        for holder in holders:
            holder.close()
    # Their slots are freed when they leave.
    deadline = time.monotonic() + 5
    while get(server, "/health").status != 200:
        assert time.monotonic() < deadline, "slots were not released"
        time.sleep(0.05)
    assert get(server, "/health").status == 200


def test_ctrl_c_while_a_connection_thread_starts_stops_the_server_and_frees_its_slot(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race a fresh-clone run hit: SIGINT arrives while the accepting thread is in
    # Thread.start() and the connection's thread has already finished. Releasing the slot
    # a second time raised ValueError, which replaced the KeyboardInterrupt: no stop.
    server = start_server(max_connections=2)
    real_start = threading.Thread.start

    def start_then_interrupt(thread: threading.Thread) -> None:
        real_start(thread)
        thread.join(5)
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", start_then_interrupt)
    client, served = socket.socketpair()
    with client, pytest.raises(KeyboardInterrupt):
        server.process_request(served, ("127.0.0.1", 1))
    monkeypatch.undo()
    slots = [server._slots.acquire(blocking=False) for _ in range(3)]
    assert slots == [True, True, False]  # both slots free again, none released twice


# --- the analytics reports, served beside the dashboard ------------------------------------


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    day = root / "analytics" / "2026-11-28"
    day.mkdir(parents=True)
    (day / "revenue_trends.html").write_text("<!doctype html><script>draw()</script>")
    (day / "revenue_trends.ipynb").write_text("{}")
    (root / "analytics" / "latest.json").write_text('{"as_of": "2026-11-28", "reports": []}')
    (root / "runs").mkdir()
    (root / "runs" / "executed.ipynb").write_text("RUN-NOTEBOOK")  # not an analytics report
    return root


def test_reports_are_served_under_their_own_policy(
    start_server: StartServer, reports: Path
) -> None:
    server = start_server(reports_dir=reports)
    page = get(server, "/reports/analytics/2026-11-28/revenue_trends.html")
    assert page.status == 200 and page.read_body == b"<!doctype html><script>draw()</script>"  # type: ignore[attr-defined]
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    policy = page.getheader("Content-Security-Policy") or ""
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]  # plotly's figure scripts
    assert directives["connect-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    notebook = get(server, "/reports/analytics/2026-11-28/revenue_trends.ipynb")
    assert notebook.getheader("Content-Type") == "application/x-ipynb+json"
    latest = get(server, "/reports/analytics/latest.json")
    assert json.loads(latest.read_body)["as_of"] == "2026-11-28"  # type: ignore[attr-defined]
    # the dashboard keeps its own, stricter policy: scripts from files only
    dashboard = get(server, "/").getheader("Content-Security-Policy") or ""
    assert "script-src 'self';" in dashboard


@pytest.mark.parametrize(
    "path",
    [
        "/reports/analytics/../runs/executed.ipynb",
        "/reports/analytics/%2e%2e/runs/executed.ipynb",
        "/reports/runs/executed.ipynb",
        "/reports/analytics/2026-11-28/missing.html",
    ],
)
def test_only_the_analytics_reports_are_served(
    start_server: StartServer, reports: Path, path: str
) -> None:
    response = get(start_server(reports_dir=reports), path)
    assert response.status == 404
    assert b"RUN-NOTEBOOK" not in response.read_body  # type: ignore[attr-defined]


def test_latest_lists_no_report_before_the_first_one(
    start_server: StartServer, tmp_path: Path
) -> None:
    for server in (start_server(), start_server(reports_dir=tmp_path / "none")):
        latest = get(server, "/reports/analytics/latest.json")
        assert latest.status == 200
        assert json.loads(latest.read_body) == {"as_of": None, "index": None, "reports": []}  # type: ignore[attr-defined]
        assert get(server, "/reports/analytics/2026-11-28/x.html").status == 404
