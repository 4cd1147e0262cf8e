"""A local HTTP server: the dashboard's files at ``/`` and the API at ``/analytics``.

For one person on one machine: it binds to loopback addresses only. On AWS the same
files go to S3 + CloudFront and the API runs in Lambda (:mod:`pipeline_lib.api._lambda`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline_lib.api._handler import API_PATHS, AnalyticsApi
from pipeline_lib.api._json import dumps
from pipeline_lib.api._static import StaticFiles, content_type
from pipeline_lib.exceptions import PipelineError

logger = logging.getLogger(__name__)

#: Sent with every static file: scripts only from this origin, no plug-ins, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src *; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


class ServeError(PipelineError):
    """The local server cannot start (host not loopback, port taken)."""


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address (or ``localhost``), else ServeError."""
    if host == "localhost":
        return host
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ServeError(
            f"refusing to serve on {host!r}: the local server is for this machine only; "
            "use --host 127.0.0.1 (or ::1, localhost), and deploy the dashboard to S3 + "
            "CloudFront with the API in Lambda to share it"
        )
    return host


class DashboardServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its API and static files."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: AnalyticsApi, static: StaticFiles) -> None:
        self.api = api
        self.static = static
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def make_server(
    api: AnalyticsApi, static_dir: Path, host: str = "127.0.0.1", port: int = 8050
) -> DashboardServer:
    """A server bound to ``host:port`` (port 0 picks a free one); call serve_forever().

    Raises
    ------
    ServeError
        The host is not a loopback address, or the port cannot be bound.
    """
    check_loopback(host)
    if not static_dir.is_dir():
        raise ServeError(f"dashboard folder {static_dir} is missing; restore dashboard/")
    bind = "127.0.0.1" if host == "localhost" else host.strip("[]")
    try:
        return DashboardServer((bind, port), api, StaticFiles(static_dir))
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port"
        ) from None


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer

    def version_string(self) -> str:
        return "ecom-pipeline"

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_OPTIONS(self) -> None:
        self._api("OPTIONS", head=False)

    def do_POST(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def do_PATCH(self) -> None:
        self._not_allowed()

    def _dispatch(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path.rstrip("/") in API_PATHS:
            self._api("HEAD" if head else "GET", head=head)
        else:
            self._static(path, head=head)

    def _api(self, method: str, head: bool) -> None:
        parts = urlsplit(self.path)
        status, headers, body = self.server.api.handle(method, parts.path, parts.query)
        self._send(status, headers, body.encode("utf-8"), head=head)

    def _static(self, path: str, head: bool) -> None:
        file = self.server.static.resolve(path)
        if file is None:
            body = dumps({"error": f"not found: {path}", "allowed": ["/", *API_PATHS]})
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            self._send(404, headers, body.encode("utf-8"), head=head)
            return
        headers = {
            "Content-Type": content_type(file),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
        }
        self._send(200, headers, file.read_bytes(), head=head)

    def _not_allowed(self) -> None:
        path = urlsplit(self.path).path
        if path.rstrip("/") in API_PATHS:
            self._api(self.command, head=False)
            return
        body = dumps({"error": f"method {self.command} is not allowed", "allowed": ["GET"]})
        headers = {"Content-Type": "application/json", "Allow": "GET, HEAD"}
        self._send(405, headers, body.encode("utf-8"), head=False)

    def _send(self, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s %s", self.address_string(), format % args)


def serve(server: DashboardServer, poll_interval: float = 0.5) -> None:
    """Serve until Ctrl-C, then close the socket."""
    try:
        server.serve_forever(poll_interval=poll_interval)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        server.server_close()
