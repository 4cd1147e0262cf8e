"""``ecom-pipeline --env dev check-deployment``: is the AWS environment ready for a run?"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from pipeline_lib.cli._state import state

console = Console(soft_wrap=True)


def check_deployment_command(ctx: typer.Context) -> None:
    """List what the AWS target needs and whether the account has it, one line each.

    Buckets (SSE-KMS, private, TLS-only), the lake's KMS key, the ledger and lock tables,
    the Glue databases, the Athena workgroup (enforced, with the params' cutoff), the SNS
    topics, the dead-letter queue and the state machine. A problem line ends with its fix;
    a resource that cannot be read (no credentials, no network, access denied) says
    ``cannot check: <error>``, never "not found". The exit code is 1 when any check fails.

    Example: ecom-pipeline --env dev check-deployment
    """
    from pipeline_lib.deployment import check_deployment, describe

    checks = check_deployment(state(ctx).settings)
    for line in describe(checks).splitlines():
        style = "red" if line.startswith("PROBLEM") else "green" if line.startswith("ok") else ""
        console.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
    if any(not c.ok for c in checks):
        raise typer.Exit(1)
