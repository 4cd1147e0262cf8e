"""State shared by the sub-commands: resolved settings and the lake."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from pipeline_lib.exceptions import ConfigError

if TYPE_CHECKING:
    from pipeline_lib.config import Settings
    from pipeline_lib.storage import LocalLake


@dataclass
class CliState:
    settings: Settings

    @cached_property
    def lake(self) -> LocalLake:
        from pipeline_lib.storage import LocalLake

        if "://" in self.settings.lake:
            raise ConfigError(
                f"lake {self.settings.lake!r} is remote; the command line runs on a local "
                "lake (pass --lake PATH or use --env local)"
            )
        return LocalLake(self.settings.lake)


def state(ctx: typer.Context) -> CliState:
    """The CliState the global callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj
