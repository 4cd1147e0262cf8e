"""``ecom-pipeline serve``: the dashboard and its analytics API on this machine."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from pipeline_lib.cli._state import state


def serve_command(
    ctx: typer.Context,
    port: int = typer.Option(
        8050, "--port", min=0, max=65535, help="Port to listen on (0 picks a free one)."
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Loopback address to bind: 127.0.0.1, ::1 or localhost."
    ),
    reports: Path = typer.Option(
        Path("reports"),
        "--reports",
        help="Reports folder: its analytics/ reports are served at /reports/analytics/.",
    ),
) -> None:
    """Serve the dashboard (dashboard/) and the analytics API on this machine only.

    GET /analytics?query=NAME[&PARAM=VALUE] answers a named query of sql/ as JSON rows.

    GET /health names the live run. Answers are cached (api: in params/<env>.yaml).

    /reports/analytics/ serves the analytics reports (ecom-pipeline report, and every run);
    the dashboard links the latest ones.

    Stop with Ctrl-C.

    Example: ecom-pipeline --lake lake serve --port 8050, then open http://127.0.0.1:8050/
    """
    from pipeline_lib.analytics.settings import analytics_settings
    from pipeline_lib.api import (
        AnalyticsApi,
        LakeSource,
        api_settings,
        check_loopback,
        dashboard_dir,
        make_server,
        serve,
    )
    from pipeline_lib.query import load_queries, query_settings

    check_loopback(host)
    cli = state(ctx)
    source = LakeSource(cli.lake, query_settings(cli.settings))
    defaults = analytics_settings(cli.settings).query_defaults()
    api = AnalyticsApi(source, api_settings(cli.settings), queries=load_queries(defaults=defaults))
    server = make_server(api, dashboard_dir(), host=host, port=port, reports_dir=reports)
    console = Console()
    live = source.live()
    if live.run_id is None:
        console.print(
            f"[yellow]warning:[/] lake {escape(str(cli.lake.root))} has no published run yet; "
            "the dashboard will show an error until `ecom-pipeline demo` (or run) publishes one",
            highlight=False,
        )
    else:
        console.print(
            f"live run {escape(live.run_id)} (as of {escape(str(live.as_of))})", highlight=False
        )
    # `kill` stops it as cleanly as Ctrl-C. SIGINT too is set here: a process started from a
    # background shell job inherits SIGINT as ignored, and Python then never raises
    # KeyboardInterrupt, so Ctrl-C (or a supervisor's SIGINT) would not stop the server.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        # The socket is listening already: a Ctrl-C right after the URL shows up (before
        # serve() runs) must stop as cleanly as one later.
        console.print(
            f"dashboard: [bold]{escape(server.url)}[/]  (Ctrl-C to stop)", highlight=False
        )
        console.print(
            f"api:       {escape(server.url)}analytics?query=current_kpis", highlight=False
        )
        console.print(f"reports:   {escape(server.url)}reports/analytics/", highlight=False)
        serve(server)
    except KeyboardInterrupt:
        server.server_close()
    console.print("stopped", highlight=False)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
