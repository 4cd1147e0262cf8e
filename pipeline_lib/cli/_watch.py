"""``ecom-pipeline watch``: files landing in raw/ (and the daily schedule) start runs."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from pipeline_lib.cli._state import state

if TYPE_CHECKING:
    from pipeline_lib.orchestration.watch import RawWatcher

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
    from pipeline_lib.cli._watch_console import ConsoleReporter, say
    from pipeline_lib.orchestration.schedule import daily_cron
    from pipeline_lib.orchestration.watch import RawWatcher

    cli = state(ctx)
    console = Console(soft_wrap=True, highlight=False)
    cron = daily_cron(cli.settings) if schedule else None
    watcher = RawWatcher(
        cli.lake,
        cli.settings,
        reports_dir=reports,
        debounce=debounce,
        schedule=cron,
        reporter=ConsoleReporter(console),
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        say(console, "stopping (Ctrl-C again to abort a run in progress)")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.start()
        say(console, _banner(watcher))
        outcomes = watcher.run(stop, once=once, timeout=timeout if once else None)
    except KeyboardInterrupt:
        say(console, "[red]interrupted[/]")
        raise typer.Exit(INTERRUPTED) from None
    finally:
        watcher.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not once or stop.is_set():
        say(console, "stopped")
        return
    if not outcomes:
        say(
            console,
            f"[yellow]no file arrived in raw/ within {timeout:g} s[/]; "
            "give --timeout more seconds to wait longer",
        )
        raise typer.Exit(TIMED_OUT)
    raise typer.Exit(max(o.exit_code for o in outcomes))


def _banner(watcher: RawWatcher) -> str:
    from pipeline_lib.orchestration.schedule import event_time

    text = f"watching {escape(str(watcher.raw))} (debounce {watcher.debounce:g} s)"
    if watcher.schedule is not None and watcher.next_fire is not None:
        text += (
            f"; schedule {escape(watcher.schedule.expression)}, next run at "
            f"{event_time(watcher.next_fire)}"
        )
    return text
