"""`make lab`: JupyterLab with Jupytext pairing; an edit of the .ipynb reaches the .py.

Runs what the Makefile's `lab` target runs (`jupytext --sync`, then `jupyter lab`) on a
copy of the repository's jupytext.toml and one analytics notebook, and edits the notebook
through the server's contents API, as JupyterLab does when you save.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NOTEBOOK = "notebooks/analytics/funnel_by_device"
TOKEN = "test-token"

pytest.importorskip("jupyterlab", reason="JupyterLab is a dev dependency (make venv)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(url: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on a copy of the repository's pairing setup."""
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    (tmp_path / "notebooks" / "analytics").mkdir(parents=True)
    shutil.copy(ROOT / f"{NOTEBOOK}.py", tmp_path / f"{NOTEBOOK}.py")
    sync = subprocess.run(
        [str(BIN / "jupytext"), "--sync", f"{NOTEBOOK}.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sync.returncode == 0, sync.stderr
    assert (tmp_path / f"{NOTEBOOK}.ipynb").is_file()
    assert (tmp_path / f"{NOTEBOOK}.py").read_text() == (ROOT / f"{NOTEBOOK}.py").read_text()
    port = free_port()
    args = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={tmp_path}",
        f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.port_retries=0",
    ]
    if os.geteuid() == 0:  # the Makefile adds it for root too
        args.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(args, cwd=tmp_path, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                call(f"{base}/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.5)
        yield base, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_saving_the_ipynb_in_jupyterlab_rewrites_the_paired_py(lab: tuple[str, Path]) -> None:
    base, folder = lab
    url = f"{base}/api/contents/{NOTEBOOK}.ipynb"
    notebook = call(f"{url}?content=1")["content"]
    parameters = notebook["cells"][1]
    assert parameters["metadata"]["tags"] == ["parameters"]
    assert "days = 30" in parameters["source"]
    parameters["source"] = parameters["source"].replace("days = 30", "days = 14")
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "## Added"})
    call(url, "PUT", {"type": "notebook", "format": "json", "content": notebook})

    before = (ROOT / f"{NOTEBOOK}.py").read_text().splitlines()
    after = (folder / f"{NOTEBOOK}.py").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [
        (
            "days = 30  # the window: the days up to as_of",
            "days = 14  # the window: the days up to as_of",
        )
    ]
    assert after[len(before) :] == ["", "# %% [markdown]", "# ## Added"]
    assert not any(line.startswith("# ---") for line in after)  # no metadata header (toml)
