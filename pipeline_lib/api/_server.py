"""A local HTTP server: the dashboard's files at ``/`` and the API at ``/analytics``.

For one person on one machine: it binds to loopback addresses only, and since any page
open in the browser can send requests to loopback, it also

- sends no CORS header (the dashboard is same-origin), so other sites cannot read answers;
- answers only requests whose ``Host`` is its own address (``127.0.0.1:PORT``,
  ``localhost:PORT`` or ``[::1]:PORT``), others get 421: a DNS-rebinding page
  (``evil.example`` resolving to 127.0.0.1) is same-origin with itself, not with us;
- closes connections idle for ``request_timeout`` seconds and answers 503 at once beyond
  ``max_connections`` open connections, so slow or many clients cannot use up threads.

On AWS the same files go to S3 + CloudFront and the API runs in Lambda
(:mod:`pipeline_lib.api._lambda`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from pipeline_lib.api._app import API_PATHS, AnalyticsApi
from pipeline_lib.api._json import dumps
from pipeline_lib.api._static import StaticFiles, content_type
from pipeline_lib.exceptions import ServeError

logger = logging.getLogger(__name__)

#: Sent with every static file: scripts only from this origin, no plug-ins, no framing,
#: and the page may fetch from this server only (its API is same-origin).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

#: The analytics reports (``<reports>/analytics/``) are served under this path. They are
#: nbconvert pages whose plotly figures draw from inline scripts, so they get a policy of
#: their own: inline scripts, nothing fetched, no plug-ins, no framing. Every text from the
#: data in them is escaped when they are rendered (pipeline_lib.analytics.display).
REPORTS_PATH = "/reports/analytics/"
REPORTS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: What ``latest.json`` says before any report was rendered (the dashboard shows "none yet").
NO_REPORTS: dict[str, object] = {"as_of": None, "index": None, "reports": []}

#: Seconds a connection may take to send its request (and to take the answer).
REQUEST_TIMEOUT_SECONDS = 20.0
#: Connections served at once; more get a quick 503 (one user needs a handful).
MAX_CONNECTIONS = 32
#: Seconds between two log lines about refused connections (a flood is one line, not many).
BUSY_LOG_INTERVAL_SECONDS = 10.0

#: Sent to a connection over the cap, whose request is never parsed.
_BUSY_BODY = b"server busy: too many open connections; retry in a moment\n"
_BUSY_ANSWER = (
    b"HTTP/1.0 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)


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
    """ThreadingHTTPServer that knows its API and static files.

    Parameters
    ----------
    address
        (loopback address, port); port 0 picks a free one.
    api
        Answers ``/analytics`` and ``/health``.
    static
        The dashboard's files.
    reports
        The analytics reports folder (``<reports>/analytics``), served under
        ``REPORTS_PATH``; None serves none (``latest.json`` then lists no report).
    request_timeout
        Seconds a connection may stay silent (while sending its request or taking the
        answer) before it is closed.
    max_connections
        Connections served at once; one more is answered 503 without being read.
    """

    daemon_threads = True
    # Stopping must not wait for connections still open (a browser keeps some alive until
    # they time out): their daemon threads end with the process.
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        api: AnalyticsApi,
        static: StaticFiles,
        *,
        reports: Optional[StaticFiles] = None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if request_timeout <= 0 or max_connections < 1:
            raise ServeError(
                f"request_timeout must be > 0 s and max_connections >= 1; got "
                f"{request_timeout} and {max_connections}"
            )
        self.api = api
        self.static = static
        self.reports = reports
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        # Only the accepting thread touches these two.
        self._refused_unlogged = 0
        self._refused_logged_at = float("-inf")
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.allowed_hosts = _allowed_hosts(str(self.server_address[0]), self.port)

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{_shown(str(self.server_address[0]))}:{self.port}/"

    def host_allowed(self, hosts: list[str]) -> bool:
        """Whether the ``Host`` header values of a request name this server (exactly one)."""
        return len(hosts) == 1 and hosts[0].strip().lower() in self.allowed_hosts

    # --- connection cap: runs in the accepting thread --------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse_busy(request, client_address)
            return
        # The slot is released exactly once, by whichever side gets there first: the
        # connection's thread when it ends, or this thread if starting it failed. A Ctrl-C
        # landing inside start() must not release it twice: the ValueError would replace
        # the KeyboardInterrupt and the server would not stop.
        release = _ReleaseOnce(self._slots)
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address, release), daemon=True
        )
        try:
            thread.start()
        except BaseException:
            if release():
                self.shutdown_request(request)
            raise

    def _serve_connection(self, request: Any, client_address: Any, release: _ReleaseOnce) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            release()

    def _refuse_busy(self, request: socket.socket, client_address: Any) -> None:
        self._log_busy(client_address)
        try:
            # A fresh socket's send buffer takes these few bytes at once; the short
            # timeout only guards the accepting thread against the unexpected.
            request.settimeout(1.0)
            request.sendall(_BUSY_ANSWER)
            _drain(request)
        except OSError as exc:
            logger.info("could not tell %s the server is busy: %s", _client(client_address), exc)
        finally:
            self.shutdown_request(request)

    def _log_busy(self, client_address: Any) -> None:
        self._refused_unlogged += 1
        now = time.monotonic()
        if now - self._refused_logged_at < BUSY_LOG_INTERVAL_SECONDS:
            return
        logger.warning(
            "refused %d connection(s), the latest from %s: all %d connection slots are busy; "
            "if this is not an attack, close some dashboard tabs",
            self._refused_unlogged,
            _client(client_address),
            self.max_connections,
        )
        self._refused_unlogged = 0
        self._refused_logged_at = now

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed connection: one line for a client that left, a traceback for a bug."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # BrokenPipe, ConnectionReset, -Aborted
            logger.info(
                "client %s closed the connection before the answer was sent (%s)",
                _client(client_address),
                type(error).__name__,
            )
            return
        logger.error("request from %s failed", _client(client_address), exc_info=error is not None)


class _ReleaseOnce:
    """Releases a semaphore slot at most once, from whichever thread calls first."""

    def __init__(self, slots: threading.BoundedSemaphore) -> None:
        self._slots = slots
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> bool:
        """Release the slot; True if this call did it."""
        with self._lock:
            if self._done:
                return False
            self._done = True
        self._slots.release()
        return True


def make_server(
    api: AnalyticsApi,
    static_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    reports_dir: Optional[Path] = None,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
) -> DashboardServer:
    """A server bound to ``host:port`` (port 0 picks a free one); call serve_forever().

    Parameters
    ----------
    api
        Answers ``/analytics`` and ``/health``.
    static_dir
        The dashboard's files (``dashboard/``).
    host
        A loopback address: ``127.0.0.1``, ``::1`` or ``localhost``.
    port
        Port to listen on; 0 picks a free one (see ``server.url``).
    reports_dir
        The reports root (``reports``): its ``analytics/`` folder is served under
        ``/reports/analytics/``, which the dashboard links. None: no reports.
    request_timeout
        Seconds a silent connection is kept open.
    max_connections
        Connections served at once; more are answered 503.

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
        reports = StaticFiles(reports_dir / "analytics") if reports_dir is not None else None
        return DashboardServer(
            (bind, port),
            api,
            StaticFiles(static_dir),
            reports=reports,
            request_timeout=request_timeout,
            max_connections=max_connections,
        )
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port"
        ) from None


def _shown(address: str) -> str:
    """An address as written in a URL or Host header (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def _allowed_hosts(bound: str, port: int) -> frozenset[str]:
    """The Host header values that name a server bound to ``bound:port`` (lower case)."""
    names = {_shown(bound).lower(), "localhost", "[::1]"}
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:  # browsers leave the default port out
        hosts |= names
    return frozenset(hosts)


def _client(client_address: Any) -> str:
    try:
        return str(client_address[0])
    except (TypeError, IndexError, KeyError):
        return str(client_address)


def _drain(connection: socket.socket, limit: int = 65536) -> None:
    """Read what the client already sent, so that closing sends FIN rather than RST
    (an RST could make the client drop the 503 before reading it)."""
    connection.setblocking(False)
    received = 0
    try:
        while received < limit:
            chunk = connection.recv(4096)
            if not chunk:
                return
            received += len(chunk)
    except (BlockingIOError, InterruptedError):
        return


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer

    def setup(self) -> None:
        super().setup()
        # Applies to every read and write of this connection: a client that stops half-way
        # through its request (or stops reading the answer) is dropped, not waited for.
        self.connection.settimeout(self.server.request_timeout)

    def version_string(self) -> str:
        return "ecom-pipeline"

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        hosts = self.headers.get_all("Host") or []
        if self.server.host_allowed(hosts):
            return True
        logger.warning(
            "refused a request for Host %r from %s: only %s are answered (a page of another "
            "site, e.g. after DNS rebinding, or a proxy)",
            hosts,
            self.address_string(),
            ", ".join(sorted(self.server.allowed_hosts)),
        )
        self.close_connection = True
        body = (
            "misdirected request: this server answers only requests addressed to it; "
            f"open {self.server.url}\n"
        )
        headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        self._send(421, headers, body.encode("utf-8"), head=self.command == "HEAD")
        return False

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
        # The dashboard is same-origin here: whatever origin the API object was given,
        # a CORS header would only let other websites read the numbers.
        local = {k: v for k, v in headers.items() if not k.lower().startswith("access-control-")}
        self._send(status, local, body.encode("utf-8"), head=head)

    def _static(self, path: str, head: bool) -> None:
        if path.startswith(REPORTS_PATH) or path == REPORTS_PATH.rstrip("/"):
            self._report(path[len(REPORTS_PATH) :], head=head)
            return
        content = self._read_static(path)
        if content is None:
            body = dumps({"error": f"not found: {path}", "allowed": ["/", *API_PATHS]})
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            self._send(404, headers, body.encode("utf-8"), head=head)
            return
        self._send_file(content, CONTENT_SECURITY_POLICY, head)

    def _report(self, path: str, head: bool) -> None:
        """A file of the analytics reports, under their own security policy."""
        reports = self.server.reports
        content = self._read_static(path, reports) if reports is not None else None
        if content is None and path == "latest.json":
            content = (Path(path), dumps(NO_REPORTS).encode("utf-8"))
        if content is None:
            body = dumps({"error": f"no such report: {REPORTS_PATH}{path}"})
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
            self._send(404, headers, body.encode("utf-8"), head=head)
            return
        self._send_file(content, REPORTS_CONTENT_SECURITY_POLICY, head)

    def _send_file(self, content: tuple[Path, bytes], policy: str, head: bool) -> None:
        """A static file with its type, revalidated on every load, under ``policy``."""
        file, data = content
        headers = {
            "Content-Type": content_type(file),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": policy,
            "Referrer-Policy": "no-referrer",
        }
        self._send(200, headers, data, head=head)

    def _read_static(
        self, path: str, files: Optional[StaticFiles] = None
    ) -> Optional[tuple[Path, bytes]]:
        """The file a URL names and its bytes, or None when there is none to serve."""
        try:
            file = (files or self.server.static).resolve(path)
            return None if file is None else (file, file.read_bytes())
        except OSError as exc:
            # A name the file system refuses (a segment over 255 bytes: ENAMETOOLONG), or
            # a file that vanished: nothing to serve, like any other unknown name.
            logger.debug("static %r not served: %s", path[:300], exc)
            return None

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
