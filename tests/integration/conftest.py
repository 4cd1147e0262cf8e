from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

CLI = str(Path(sys.executable).with_name("ecom-pipeline"))

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run the installed `ecom-pipeline` console script as a user would."""

    def run(
        *args: str, cwd: Path = tmp_path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        env.pop("PIPELINE_LAKE", None)
        env.pop("PIPELINE_ENV", None)
        result = subprocess.run(
            [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"ecom-pipeline {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    return run
