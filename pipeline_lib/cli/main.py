"""The ``ecom-pipeline`` command: one sub-command per verb of the pipeline.

The command modules import what a command needs when it runs, not when the command line
starts: ``--help`` must not wait for pandas, DuckDB or the notebook machinery
(tests/unit/test_cli_main.py checks which modules it loads; benchmarks/bench_cli.py times it).
"""

from __future__ import annotations

import logging
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.logging import RichHandler

from pipeline_lib._startup import skip_iri_format_checker
from pipeline_lib.cli._check import check_deployment_command
from pipeline_lib.cli._demo import demo_command
from pipeline_lib.cli._generate import generate_command
from pipeline_lib.cli._ingest import ingest_command
from pipeline_lib.cli._quality import quality_command
from pipeline_lib.cli._query import query_command
from pipeline_lib.cli._report import report_command
from pipeline_lib.cli._run import run_command
from pipeline_lib.cli._runs import runs_app
from pipeline_lib.cli._serve import serve_command
from pipeline_lib.cli._state import CliState
from pipeline_lib.cli._watch import watch_command
from pipeline_lib.exceptions import PipelineError

# soft_wrap: a one-line error stays one line whatever the terminal width.
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    name="ecom-pipeline",
    help=(
        "E-commerce analytics pipeline: raw files in, trusted analytics out.\n\n"
        "Example: ecom-pipeline generate --out data && ecom-pipeline ingest data/*"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    lake: Optional[str] = typer.Option(
        None,
        "--lake",
        envvar="PIPELINE_LAKE",
        help="Lake folder (default ./lake, or `lake` in the params file).",
    ),
    env: Optional[str] = typer.Option(
        None,
        "--env",
        envvar="PIPELINE_ENV",
        help="Environment whose params file to use: local, dev, staging, prod.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    from pipeline_lib.config import load_settings

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
    )
    ctx.obj = CliState(settings=load_settings(env=env, lake=lake))


app.command("generate")(generate_command)
app.command("ingest")(ingest_command)
app.command("run")(run_command)
app.command("demo")(demo_command)
app.command("query")(query_command)
app.command("quality")(quality_command)
app.command("report")(report_command)
app.command("serve")(serve_command)
app.command("watch")(watch_command)
app.add_typer(runs_app, name="runs")
app.command("check-deployment")(check_deployment_command)


def main() -> None:
    """Console-script entry point: pipeline errors end in one line and exit code 1."""
    skip_iri_format_checker()  # a second off every command that loads papermill
    try:
        app()
    except PipelineError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
