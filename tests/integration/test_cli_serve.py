"""`ecom-pipeline serve` as a user runs it: prints the URL, answers, stops on Ctrl-C."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import CLI, RunCli

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(tmp_path: Path, port: int, **popen: Any) -> subprocess.Popen[str]:
    """`ecom-pipeline serve` on an empty lake, as a user starts it from a terminal."""
    return subprocess.Popen(
        [CLI, "--lake", str(tmp_path / "lake"), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
        **popen,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_the_url_answers_and_stops_cleanly(tmp_path: Path, signum: int) -> None:
    port = free_port()
    process = start_serve(tmp_path, port)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "dashboard:" in line:
                break
        url = re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines))
        assert url and url.group(0) == f"http://127.0.0.1:{port}/", lines
        assert "no published run" in "".join(lines)
        with urllib.request.urlopen(url.group(0), timeout=10) as page:
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"E-commerce analytics" in page.read()
        with pytest.raises(urllib.error.HTTPError) as health:
            urllib.request.urlopen(url.group(0) + "health", timeout=10)
        assert health.value.code == 503  # nothing published in an empty lake
        assert json.loads(health.value.read())["run_id"] is None
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_serve_answers_only_its_own_address_and_sends_no_cors(tmp_path: Path) -> None:
    port = free_port()
    process = start_serve(tmp_path, port)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "dashboard:" in line:
                break

        def get(path: str, host: str) -> http.client.HTTPResponse:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers={"Host": host, "Origin": "https://evil.test"})
            response = connection.getresponse()
            response.read()
            connection.close()
            return response

        for path in ("/", "/health", "/analytics?query=current_kpis"):
            own = get(path, f"127.0.0.1:{port}")
            assert own.status in (200, 503), path  # 503: nothing published in an empty lake
            assert not [h for h, _ in own.getheaders() if h.lower().startswith("access-control")]
            rebound = get(path, f"evil.example:{port}")  # a DNS-rebinding page
            assert rebound.status == 421, path
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_serve_refuses_a_public_host(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("--lake", str(tmp_path / "lake"), "serve", "--host", "0.0.0.0", check=False)
    assert result.returncode == 1
    assert "refusing to serve on '0.0.0.0'" in result.stderr
    assert "--host 127.0.0.1" in result.stderr


def test_serve_help_has_an_example(run_cli: RunCli) -> None:
    result = run_cli("serve", "--help")
    assert "Example: ecom-pipeline --lake lake serve --port 8050" in result.stdout


def test_ctrl_c_stops_it_even_when_started_from_a_background_job(tmp_path: Path) -> None:
    # A shell starts background jobs with SIGINT ignored, and children inherit that.
    port = free_port()
    process = start_serve(
        tmp_path, port, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "dashboard:" in line:
                break
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("stopped")
