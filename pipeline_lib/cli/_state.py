"""State shared by the sub-commands: resolved settings and the lake."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from pipeline_lib.exceptions import ConfigError

if TYPE_CHECKING:
    from pipeline_lib.config import Settings
    from pipeline_lib.storage import Lake, LocalLake

#: The commands that run on an S3 lake as well as on a folder.
ANY_LAKE_COMMANDS = ("ingest", "run", "runs", "query", "quality")


@dataclass
class CliState:
    settings: Settings

    @cached_property
    def any_lake(self) -> Lake:
        """The lake of the settings, local or S3. For an S3 lake of a deployed environment
        the process (and the notebooks it starts) gets the deployment's table, database
        and key names, as the Lambdas and Glue jobs do (``deployment_environment``)."""
        import os

        from pipeline_lib.storage import open_lake

        if self.settings.lake.startswith("s3://"):
            from pipeline_lib.deployment import deployment_environment

            os.environ.update(deployment_environment(self.settings))
        return open_lake(self.settings.lake)

    @cached_property
    def lake(self) -> LocalLake:
        """The lake, for the commands that run on a local lake only."""
        from pipeline_lib.storage import LocalLake

        if "://" in self.settings.lake:
            raise ConfigError(
                f"lake {self.settings.lake!r} is remote; this command runs on a local lake "
                "(pass --lake PATH or use --env local). On the environment's S3 lake: "
                f"{', '.join(ANY_LAKE_COMMANDS)}, and check-deployment; runs start in Step "
                "Functions (README, Running on AWS)"
            )
        return LocalLake(self.settings.lake)


def state(ctx: typer.Context) -> CliState:
    """The CliState the global callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj
