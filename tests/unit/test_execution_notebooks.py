"""run_notebook: a Jupytext notebook executed by papermill, its executed copy kept."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

from pipeline_lib.exceptions import PipelineError
from pipeline_lib.execution.notebooks import (
    NotebookError,
    declared_parameters,
    load_notebook,
    run_notebook,
)

TINY_NOTEBOOK = """\
# %% [markdown]
# # Doubler

# %% tags=["parameters"]
value = 1
label = "x"

# %%
doubled = value * 2
print(f"{label}={doubled}")
"""

FAILING_CELL = """
# %%
ratio = doubled / (value - value)
print("never printed")
"""


def write_notebook(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def test_declared_parameters_come_from_the_parameters_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)
    assert declared_parameters(load_notebook(path)) == ["value", "label"]


def test_success_keeps_the_executed_notebook_with_the_injected_values(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)
    output_dir = tmp_path / "reports" / "runs" / "r1"

    run = run_notebook(path, output_dir=output_dir, parameters={"value": 21, "label": "answer"})

    assert run.notebook == "doubler"
    assert run.executed_path == output_dir / "doubler.ipynb"
    assert run.parameters == {"value": 21, "label": "answer"}
    assert run.seconds > 0
    executed = nbformat.read(run.executed_path, as_version=4)
    assert "answer=42" in outputs_text(executed)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "value = 21" in injected[0].source


def test_failing_cell_raises_naming_notebook_cell_and_exception(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "broken_doubler", TINY_NOTEBOOK + FAILING_CELL)
    output_dir = tmp_path / "out"

    with pytest.raises(NotebookError) as caught:
        run_notebook(path, output_dir=output_dir, parameters={"value": 3})

    error = caught.value
    message = str(error)
    assert "notebook broken_doubler failed" in message
    assert "`ratio = doubled / (value - value)`" in message
    assert "ZeroDivisionError: division by zero" in message
    assert (error.notebook, error.ename) == ("broken_doubler", "ZeroDivisionError")
    # The executed copy is kept even though the run failed: it shows where it stopped.
    assert error.executed_path == output_dir / "broken_doubler.ipynb"
    assert str(error.executed_path) in message
    executed = nbformat.read(error.executed_path, as_version=4)
    assert "x=6" in outputs_text(executed)
    assert "never printed" not in outputs_text(executed)


def test_undeclared_parameter_is_refused_before_running(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)
    output_dir = tmp_path / "out"

    with pytest.raises(PipelineError, match=r"unknown parameters \['valeu'\]") as caught:
        run_notebook(path, output_dir=output_dir, parameters={"valeu": 2})

    assert not isinstance(caught.value, NotebookError)
    assert "declares ['value', 'label']" in str(caught.value)
    assert not output_dir.exists()


def test_kernel_death_raises_notebook_error_naming_the_cell(tmp_path: Path) -> None:
    text = TINY_NOTEBOOK + "\n# %%\nimport os\n\n# %%\nos._exit(9)\nprint('never printed')\n"
    path = write_notebook(tmp_path, "crashing", text)

    with pytest.raises(NotebookError) as caught:
        run_notebook(path, output_dir=tmp_path / "out", parameters={})

    message = str(caught.value)
    assert "notebook crashing failed" in message
    assert "`os._exit(9)`" in message
    assert "DeadKernelError: the kernel died during this cell" in message
    assert caught.value.executed_path == tmp_path / "out" / "crashing.ipynb"


KERNEL_LEVEL_WRITE = """\
# %% tags=["parameters"]
value = 1

# %%
import os

# What a C library, a subprocess or the kernel's own shutdown writes goes to the kernel
# process's stderr file descriptor (ipykernel echoes it there even when it also captures
# it into the cell's output).
os.write(2, b"kernel-level noise\\n")
"""


def test_the_kernels_own_stderr_goes_to_a_log_beside_the_executed_notebook(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = write_notebook(tmp_path, "noisy", KERNEL_LEVEL_WRITE)

    run = run_notebook(path, output_dir=tmp_path / "out", parameters={"value": 2})

    captured = capfd.readouterr()
    assert "kernel-level noise" not in captured.err + captured.out
    assert run.kernel_log == tmp_path / "out" / "noisy.kernel.log"
    assert "kernel-level noise" in run.kernel_log.read_text()


def test_a_quiet_kernel_leaves_no_log(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)
    run = run_notebook(path, output_dir=tmp_path / "out", parameters={"value": 2})
    assert run.kernel_log is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["doubler.ipynb"]


def _kernel_that_dies_first(monkeypatch: pytest.MonkeyPatch, deaths: int) -> list[int]:
    """Make the first ``deaths`` kernel launches start a process that exits at once."""
    import sys

    from pipeline_lib.execution.notebooks import LoggedKernelManager

    launches: list[int] = []
    real_launch = LoggedKernelManager._async_launch_kernel

    async def launch(self: LoggedKernelManager, kernel_cmd: list[str], **kw: object) -> None:
        launches.append(len(launches))
        if len(launches) <= deaths:
            kernel_cmd = [sys.executable, "-c", "raise SystemExit(1)"]
        await real_launch(self, kernel_cmd, **kw)

    monkeypatch.setattr(LoggedKernelManager, "_async_launch_kernel", launch)
    return launches


def test_a_kernel_that_dies_before_answering_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launches = _kernel_that_dies_first(monkeypatch, deaths=1)
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)

    run = run_notebook(path, output_dir=tmp_path / "out", parameters={"value": 21})

    assert len(launches) == 2
    assert "x=42" in outputs_text(nbformat.read(run.executed_path, as_version=4))


def test_a_kernel_that_never_starts_fails_after_the_last_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline_lib.execution.notebooks import KERNEL_START_ATTEMPTS

    launches = _kernel_that_dies_first(monkeypatch, deaths=KERNEL_START_ATTEMPTS)
    path = write_notebook(tmp_path, "doubler", TINY_NOTEBOOK)

    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        run_notebook(path, output_dir=tmp_path / "out", parameters={"value": 21})
    assert len(launches) == KERNEL_START_ATTEMPTS
