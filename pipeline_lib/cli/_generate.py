"""``ecom-pipeline generate``: write realistic sample feeds and their manifest."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline_lib.cli._state import state
from pipeline_lib.exceptions import GeneratorError
from pipeline_lib.generators import GeneratorConfig

if TYPE_CHECKING:
    from pipeline_lib.generators import GenerationResult

logger = logging.getLogger(__name__)

_DEFAULTS = GeneratorConfig(end_date=date(2000, 1, 1))


def _parse_end_date(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GeneratorError(
            f"--end-date {value!r} is not a date; pass YYYY-MM-DD, e.g. 2026-11-28"
        ) from None


def _human_size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def render_generation(result: GenerationResult, console: Console) -> None:
    """Print the summary table (dataset, file, rows, size) and the manifest path.

    Parameters
    ----------
    result
        What :func:`pipeline_lib.generators.generate_all` wrote.
    console
        Where to print.
    """
    table = Table(title="Generated datasets", header_style="bold")
    table.add_column("dataset")
    table.add_column("file", overflow="fold")
    table.add_column("rows", justify="right")
    table.add_column("size", justify="right")
    for name, path in result.files.items():
        table.add_row(
            name, escape(path.name), f"{result.rows[name]:,}", _human_size(path.stat().st_size)
        )
    console.print(table)
    console.print(
        f"manifest: {result.manifest_path}", soft_wrap=True, highlight=False, markup=False
    )


def generate_command(
    ctx: typer.Context,
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder to write the files and manifest.json into."
    ),
    transactions: int = typer.Option(
        _DEFAULTS.transactions, "--transactions", "-n", help="Transaction lines to generate."
    ),
    products: int = typer.Option(_DEFAULTS.products, "--products", help="Catalog size."),
    days: int = typer.Option(_DEFAULTS.days, "--days", help="Days of sales, ending at --end-date."),
    seed: int = typer.Option(
        _DEFAULTS.seed, "--seed", help="Random seed; the same options write identical files."
    ),
    end_date: Optional[str] = typer.Option(
        None, "--end-date", help="Last day with sales, YYYY-MM-DD (default: today, UTC)."
    ),
    dirty_rate: float = typer.Option(
        _DEFAULTS.dirty_rate,
        "--dirty-rate",
        help="Share of rows per imperfection kind, 0 to 0.2 (0 = clean data).",
    ),
    file_format: str = typer.Option(
        _DEFAULTS.file_format, "--format", help="csv (CSV and JSON feeds) or parquet."
    ),
    compress: bool = typer.Option(
        False, "--gzip", help="Write .csv.gz / .json.gz (csv format only)."
    ),
) -> None:
    """Generate sample transactions, products, clickstream and reviews.

    Example: ecom-pipeline generate --out data --transactions 100000 --dirty-rate 0.02
    """
    from pipeline_lib.generators import generate_all

    settings = state(ctx).settings
    config = GeneratorConfig(
        transactions=transactions,
        seed=seed,
        end_date=_parse_end_date(end_date),
        days=days,
        products=products,
        dirty_rate=dirty_rate,
        file_format=file_format,
        gzip=compress,
    )
    logger.info("generating into %s (env %s): %s", out, settings.env, config)
    console = Console()
    with console.status("generating", spinner="dots") as status:
        result = generate_all(out, config, progress=lambda step: status.update(f"{step}..."))
    render_generation(result, console)
