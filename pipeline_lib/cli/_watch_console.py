"""What ``ecom-pipeline watch`` prints: one line per batch, run and schedule firing.

Apart from the command so that the command line starts without the watcher's modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from rich.console import Console
from rich.markup import escape

from pipeline_lib.ingestion import ACCEPTED, DUPLICATE, QUARANTINED
from pipeline_lib.orchestration.pipeline import RunResult
from pipeline_lib.orchestration.watch import Outcome, Reporter


def say(console: Console, text: str) -> None:
    """Print ``text`` after the time of day (UTC)."""
    console.print(f"[dim]{datetime.now(timezone.utc):%H:%M:%S}[/] {text}")


def _some(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(escape(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class ConsoleReporter(Reporter):
    """One line per batch, run and schedule firing."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def batch(self, keys: Sequence[str]) -> None:
        say(self.console, f"batch of {len(keys)} file(s): {_some(keys)}")

    def run_started(self, name: str, execution_input: Mapping[str, Any]) -> None:
        say(
            self.console,
            f"run {escape(name)} started (trigger "
            f"{escape(str(execution_input.get('trigger')))}, as of "
            f"{escape(str(execution_input.get('as_of')))})",
        )

    def run_finished(self, result: RunResult) -> None:
        if result.succeeded:
            say(
                self.console,
                f"[green]run {escape(result.run_id)} succeeded[/] in {result.seconds:.1f} s",
            )
        else:
            say(
                self.console,
                f"[bold red]run {escape(result.run_id)} failed[/] at "
                f"{escape(result.failed_state or '?')}: "
                f"{escape(result.error or '')}",
            )

    def outcome(self, outcome: Outcome) -> None:
        if outcome.error:
            say(self.console, f"[bold red]{outcome.kind} failed:[/] {escape(outcome.error)}")
            return
        response = outcome.response
        execution = escape(str(response.get("execution") or ""))
        if outcome.kind == "schedule":
            verb = "started" if response.get("started") else "already ran"
            say(self.console, f"schedule fired: run {execution} {verb}")
            return
        rejected = outcome.files_with(QUARANTINED)
        text = (
            f"batch done: {len(outcome.files_with(ACCEPTED))} accepted, "
            f"{len(rejected)} quarantined, {len(outcome.files_with(DUPLICATE))} "
            f"duplicate(s)"
        )
        if rejected:
            reasons = [f"{f['key']} ({f.get('reason') or '?'})" for f in rejected]
            text += f"; [red]rejected:[/] {_some(reasons)}"
        if response.get("started"):
            text += f"; run {execution} ran"
        else:
            text += f"; no run: {escape(str(response.get('reason', '')))}"
        say(self.console, text)
