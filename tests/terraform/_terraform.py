"""Running terraform in a module folder, for the tests of tests/terraform."""

from __future__ import annotations

import subprocess
from pathlib import Path


def run_terraform(
    module: Path, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``terraform -chdir=<module> <args>``, its output captured; never raises on failure."""
    return subprocess.run(
        ["terraform", f"-chdir={module}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
