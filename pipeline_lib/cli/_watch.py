"""``ecom-pipeline watch``: files landing in raw/ (and the daily schedule) start runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from pipeline_lib.cli._state import state
from pipeline_lib.ingestion import ACCEPTED, DUPLICATE, QUARANTINED
from pipeline_lib.orchestration.pipeline import RunResult
from pipeline_lib.orchestration.schedule import daily_cron, event_time
from pipeline_lib.orchestration.watch import Outcome, RawWatcher, Reporter

#: Exit status of ``--once`` when nothing arrived before ``--timeout`` (as timeout(1)).
TIMED_OUT = 124
INTERRUPTED = 130


def watch_command(
    ctx: typer.Context,
    schedule: bool = typer.Option(
        False, "--schedule", help="Also start the daily run at params schedule.daily_cron (UTC)."
    ),
    once: bool = typer.Option(
        False, "--once", help="Handle the first batch (or schedule firing), exit with its status."
    ),
    timeout: float = typer.Option(
        60.0,
        "--timeout",
        min=0,
        help=f"With --once: exit {TIMED_OUT} after this many seconds without a batch.",
    ),
    reports: Path = typer.Option(
        Path("reports"), "--reports", help="Executed notebooks go to <reports>/runs/<run_id>/."
    ),
    debounce: Optional[float] = typer.Option(
        None,
        "--debounce",
        min=0,
        help="Files this many seconds apart form one batch "
        "(default: params watch.debounce_seconds).",
    ),
) -> None:
    """Watch lake/raw/: each burst of new files starts one run, as S3 events do on AWS.

    A file counts once its size stops changing; hidden and .tmp/.part/.error.json files are ignored.
    Small files are validated at once (bad ones go to quarantine and the dead-letter log);
    one run (trigger "s3") then takes the batch. Runs go one at a time: files landing
    during a run form the next batch. Stop with Ctrl-C.

    Exit status with --once: 0 when the run succeeded (or nothing was new), 1 when it
    failed or every new file was rejected, 124 when nothing arrived before --timeout.

    Example: ecom-pipeline --lake lake watch --schedule
    """
    cli = state(ctx)
    console = Console(soft_wrap=True, highlight=False)
    cron = daily_cron(cli.settings) if schedule else None
    watcher = RawWatcher(cli.lake, cli.settings, reports_dir=reports, debounce=debounce,
                         schedule=cron, reporter=ConsoleReporter(console))  # fmt: skip
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _say(console, "stopping (Ctrl-C again to abort a run in progress)")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.start()
        _say(console, _banner(watcher))
        outcomes = watcher.run(stop, once=once, timeout=timeout if once else None)
    except KeyboardInterrupt:
        _say(console, "[red]interrupted[/]")
        raise typer.Exit(INTERRUPTED) from None
    finally:
        watcher.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not once or stop.is_set():
        _say(console, "stopped")
        return
    if not outcomes:
        _say(console, f"[yellow]no file arrived in raw/ within {timeout:g} s[/]; "
                      "give --timeout more seconds to wait longer")  # fmt: skip
        raise typer.Exit(TIMED_OUT)
    raise typer.Exit(max(o.exit_code for o in outcomes))


def _banner(watcher: RawWatcher) -> str:
    text = f"watching {escape(str(watcher.raw))} (debounce {watcher.debounce:g} s)"
    if watcher.schedule is not None and watcher.next_fire is not None:
        text += (f"; schedule {escape(watcher.schedule.expression)}, next run at "
                 f"{event_time(watcher.next_fire)}")  # fmt: skip
    return text


def _say(console: Console, text: str) -> None:
    console.print(f"[dim]{datetime.now(timezone.utc):%H:%M:%S}[/] {text}")


def _some(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(escape(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class ConsoleReporter(Reporter):
    """One line per batch, run and schedule firing."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def batch(self, keys: Sequence[str]) -> None:
        _say(self.console, f"batch of {len(keys)} file(s): {_some(keys)}")

    def run_started(self, name: str, execution_input: Mapping[str, Any]) -> None:
        _say(self.console, f"run {escape(name)} started (trigger "
                           f"{escape(str(execution_input.get('trigger')))}, as of "
                           f"{escape(str(execution_input.get('as_of')))})")  # fmt: skip

    def run_finished(self, result: RunResult) -> None:
        if result.succeeded:
            _say(self.console, f"[green]run {escape(result.run_id)} succeeded[/] in "
                               f"{result.seconds:.1f} s")  # fmt: skip
        else:
            _say(self.console, f"[bold red]run {escape(result.run_id)} failed[/] at "
                               f"{escape(result.failed_state or '?')}: "
                               f"{escape(result.error or '')}")  # fmt: skip

    def outcome(self, outcome: Outcome) -> None:
        if outcome.error:
            _say(self.console, f"[bold red]{outcome.kind} failed:[/] {escape(outcome.error)}")
            return
        response = outcome.response
        execution = escape(str(response.get("execution") or ""))
        if outcome.kind == "schedule":
            verb = "started" if response.get("started") else "already ran"
            _say(self.console, f"schedule fired: run {execution} {verb}")
            return
        rejected = outcome.files_with(QUARANTINED)
        text = (f"batch done: {len(outcome.files_with(ACCEPTED))} accepted, "
                f"{len(rejected)} quarantined, {len(outcome.files_with(DUPLICATE))} "
                f"duplicate(s)")  # fmt: skip
        if rejected:
            reasons = [f"{f['key']} ({f.get('reason') or '?'})" for f in rejected]
            text += f"; [red]rejected:[/] {_some(reasons)}"
        if response.get("started"):
            text += f"; run {execution} ran"
        else:
            text += f"; no run: {escape(str(response.get('reason', '')))}"
        _say(self.console, text)
