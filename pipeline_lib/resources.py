"""Where the package finds the files it runs on: params, SQL, notebooks, the state machine,
the dashboard. One lookup for every place the code runs.

1. ``PIPELINE_<NAME>_DIR`` (e.g. ``PIPELINE_PARAMS_DIR``): set by the Glue job runner,
   which unpacks ``resources.zip`` (built by ``make package``) next to the job, or by an
   operator who keeps their own copy.
2. The repository the package runs from: a clone, an editable install, or the Lambda zip,
   which keeps the repository's layout.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline_lib.exceptions import ConfigError

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parent

#: Resource name -> its folder in the repository (and in ``resources.zip``).
RESOURCES: dict[str, str] = {
    "params": "params",
    "sql": "sql",
    "notebooks": "notebooks",
    "dashboard": "dashboard",
    "state_machine": "terraform/modules/step-functions",
}


def resource_path(name: str) -> Path:
    """Where resource ``name`` (a key of :data:`RESOURCES`) is looked for, existing or not:
    for module-level paths, read when used (a Lambda never reads the notebooks)."""
    if name not in RESOURCES:
        raise ConfigError(f"unknown resource {name!r}; known: {', '.join(RESOURCES)}")
    override = os.environ.get(f"PIPELINE_{name.upper()}_DIR")
    return Path(override) if override else _REPOSITORY / RESOURCES[name]


def resource_dir(name: str) -> Path:
    """The folder of resource ``name``.

    Raises
    ------
    ConfigError
        When it is not there, saying which variable points at a copy.
    """
    folder = resource_path(name)
    if folder.is_dir():
        return folder
    raise ConfigError(
        f"no {name} folder at {folder} (the package runs without its repository): set "
        f"PIPELINE_{name.upper()}_DIR to a copy, e.g. from resources.zip of `make package`"
    )
