"""Run a Jupytext notebook as a job with papermill, keeping the executed copy as the audit trail.

Only the ``py:percent`` text of a notebook is committed; it is converted to a notebook in
memory, executed with the run's parameters injected after its ``parameters`` cell, and the
executed notebook is written to ``<output_dir>/<name>.ipynb`` whether the run passed or not.

The kernel process's own output (what reaches its file descriptors 1 and 2 rather than a
cell: C libraries, the kernel's logging, and ipykernel's shutdown, which under load can log
"ERROR:tornado.general ... Socket operation on non-socket" when a ZMQ stream is polled after
its socket closed) goes to ``<output_dir>/<name>.kernel.log``. On the console it would
interleave with the command's own output (two kernels run at once) and break ``--json``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError
from papermill.inspection import _infer_parameters
from traitlets import Unicode
from traitlets.config import Config

from pipeline_lib.exceptions import NotebookError, PipelineError

logger = logging.getLogger(__name__)

KERNEL_NAME = "python3"
#: Starts of a notebook's kernel, when one dies before it answers. Under load a kernel can
#: die at start-up (e.g. a port jupyter_client picked was taken by another process before
#: the kernel bound it); no cell has run then, so starting again is safe.
KERNEL_START_ATTEMPTS = 3
_KERNEL_START_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


@dataclass(frozen=True)
class NotebookRun:
    """A finished notebook execution."""

    notebook: str
    executed_path: Path
    seconds: float
    parameters: Mapping[str, Any]
    kernel_log: Optional[Path] = None


class LoggedKernelManager(AsyncKernelManager):
    """A kernel manager that sends the kernel process's stdout and stderr to a file."""

    output_log = Unicode("", help="Append the kernel's own stdout/stderr here.").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        # The hook jupyter_client documents for launching kernels differently.
        if not self.output_log:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        with open(self.output_log, "ab") as log:  # Popen keeps its own copy of the fd
            await super()._async_launch_kernel(kernel_cmd, **{**kw, "stdout": log, "stderr": log})


def load_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a Jupytext ``py:percent`` file (or an ``.ipynb``) as a notebook in memory."""
    notebook = jupytext.read(str(path))
    notebook.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    )
    for cell in notebook.cells:
        # papermill's own loader gives every cell a tags list; its helpers rely on it.
        cell.metadata.setdefault("tags", [])
    return notebook


def declared_parameters(notebook: nbformat.NotebookNode) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    return [p.name for p in _infer_parameters(notebook)]


def declared_defaults(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """Each parameter of the notebook's ``parameters`` cell and its default value (None
    when the default is not a literal)."""
    import ast

    defaults: dict[str, Any] = {}
    for parameter in _infer_parameters(notebook):
        try:
            defaults[parameter.name] = ast.literal_eval(parameter.default)
        except (ValueError, SyntaxError):
            defaults[parameter.name] = None
    return defaults


def run_notebook(
    path: Path,
    *,
    output_dir: Path,
    parameters: Mapping[str, Any],
    cwd: Optional[Path] = None,
) -> NotebookRun:
    """Execute the notebook at ``path`` with ``parameters``; keep the executed copy.

    Parameters the notebook does not declare are refused, so a typo cannot silently fall
    back to a default. Raises NotebookError naming the failing cell.

    Examples
    --------
    >>> run_notebook(Path("notebooks/etl/reviews_etl.py"), output_dir=Path("reports/runs/r1"),
    ...              parameters={"lake": "lake", "run_id": "r1"})  # doctest: +SKIP
    """
    name = path.stem
    notebook = load_notebook(path)
    declared = declared_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise PipelineError(
            f"notebook {path}: unknown parameters {unknown}; "
            f"its parameters cell declares {declared}"
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    executed_path = output_dir / f"{name}.ipynb"
    kernel_log = output_dir / f"{name}.kernel.log"
    started = time.perf_counter()
    logger.info("running notebook %s", path)
    try:
        _execute(notebook, executed_path, parameters, cwd, kernel_log, name)
    except PapermillExecutionError as exc:
        raise NotebookError(
            name,
            exc.cell_index,
            exc.source,
            exc.ename,
            exc.evalue,
            executed_path if executed_path.exists() else None,
        ) from None
    except DeadKernelError:
        # The kernel process ended mid-cell (out of memory, a native crash, an exit): a
        # failed job like a cell that raised, so callers see a NotebookError, not nbclient's.
        written = executed_path if executed_path.exists() else None
        cell_index, cell_source = _last_started_cell(written)
        raise NotebookError(
            name,
            cell_index,
            cell_source,
            "DeadKernelError",
            "the kernel died during this cell (out of memory, a crash or an exit; its own "
            f"output is in {kernel_log})",
            written,
        ) from None
    if kernel_log.exists() and kernel_log.stat().st_size == 0:
        kernel_log.unlink()  # the usual case: keep the run's folder to what says something
    return NotebookRun(
        notebook=name,
        executed_path=executed_path,
        seconds=time.perf_counter() - started,
        parameters=dict(parameters),
        kernel_log=kernel_log if kernel_log.exists() else None,
    )


def _execute(
    notebook: nbformat.NotebookNode,
    executed_path: Path,
    parameters: Mapping[str, Any],
    cwd: Optional[Path],
    kernel_log: Path,
    name: str,
) -> None:
    """papermill's execution, started again when the kernel dies before it answers."""
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            papermill.execute_notebook(
                notebook,
                str(executed_path),
                parameters=dict(parameters),
                kernel_name=KERNEL_NAME,
                cwd=str(cwd) if cwd else None,
                progress_bar=False,
                log_output=False,
                # The kernel logs warnings about its local TCP transport on every start; they
                # say nothing about the job. Its errors still reach us through the cells.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                kernel_manager_class=LoggedKernelManager,
                config=Config({"LoggedKernelManager": {"output_log": str(kernel_log)}}),
            )
            return
        except RuntimeError as exc:
            if not str(exc).startswith(_KERNEL_START_FAILURES) or attempt == KERNEL_START_ATTEMPTS:
                raise
            logger.warning(
                "notebook %s: %s; starting its kernel again (%d of %d)",
                name,
                exc,
                attempt + 1,
                KERNEL_START_ATTEMPTS,
            )


def _last_started_cell(executed_path: Optional[Path]) -> tuple[int, str]:
    """Index and source of the last cell papermill started: the one a dead kernel was in."""
    if executed_path is None:
        return -1, ""
    try:
        notebook = nbformat.read(str(executed_path), as_version=4)
    except Exception:  # a partial copy must not hide the notebook's own failure
        return -1, ""
    started = [
        (index, str(cell.source))
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.metadata.get("papermill") or {}).get("start_time")
    ]
    return started[-1] if started else (-1, "")
