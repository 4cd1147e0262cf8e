"""What to generate (GeneratorConfig) and what was written (GenerationResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

from pipeline_lib.exceptions import GeneratorError
from pipeline_lib.schemas import CATEGORIES

FILE_FORMATS = ("csv", "parquet")
MAX_DIRTY_RATE = 0.2
#: Every category needs at least one product, so the catalog cannot be smaller.
MIN_PRODUCTS = len(CATEGORIES)
#: Ten years of daily data is plenty for a sample; more only slows the generator down.
MAX_DAYS = 3660


def _today_utc() -> date:
    return datetime.now(timezone.utc).date()


def _require_positive_int(name: str, value: object, option: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise GeneratorError(
            f"{name} must be >= {minimum}, got {value!r}; pass {option} {minimum} or more"
        )


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes, time window, randomness and output format of one generated data set.

    Parameters
    ----------
    transactions
        Number of distinct order lines (``transactions.csv`` rows before injected duplicates).
    seed
        Seed of every random stream; the same config writes byte-identical files.
    end_date
        Last day with sales (inclusive). Default: today in UTC.
    days
        Length of the sales window in days, ending at ``end_date``.
    products
        Catalog size (at least one product per category).
    customers
        Customer pool size. Default: ``max(200, transactions // 5)``.
    dirty_rate
        Share of rows per imperfection kind (0 = perfectly clean, at most 0.2).
    file_format
        ``"csv"`` (CSV and JSON files, as the feeds send them) or ``"parquet"``.
    gzip
        Compress the csv-format files to ``.csv.gz`` / ``.json.gz``.

    Raises
    ------
    GeneratorError
        If a value is out of range; the message says what to pass instead.
    """

    transactions: int = 100_000
    seed: int = 42
    end_date: Optional[date] = None
    days: int = 365
    products: int = 2000
    customers: Optional[int] = None
    dirty_rate: float = 0.0
    file_format: str = "csv"
    gzip: bool = False

    def __post_init__(self) -> None:
        _require_positive_int("transactions", self.transactions, "--transactions")
        _require_positive_int("products", self.products, "--products", MIN_PRODUCTS)
        _require_positive_int("days", self.days, "--days")
        if self.days > MAX_DAYS:
            raise GeneratorError(
                f"days must be at most {MAX_DAYS}, got {self.days}; pass --days {MAX_DAYS} or fewer"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise GeneratorError(f"seed must be >= 0, got {self.seed!r}; pass e.g. --seed 42")
        if self.customers is not None:
            _require_positive_int("customers", self.customers, "customers=")
        rate = self.dirty_rate
        if (
            isinstance(rate, bool)
            or not isinstance(rate, (int, float))
            or not 0 <= rate <= MAX_DIRTY_RATE
        ):
            raise GeneratorError(
                f"dirty_rate must be within 0..{MAX_DIRTY_RATE}, got {rate!r}; "
                "pass e.g. --dirty-rate 0.02"
            )
        if self.file_format not in FILE_FORMATS:
            raise GeneratorError(
                f"unknown format {self.file_format!r}; pass --format csv or --format parquet"
            )
        if self.gzip and self.file_format != "csv":
            raise GeneratorError("--gzip applies to the csv format only; drop --gzip or --format")
        end_date = self.end_date if self.end_date is not None else _today_utc()
        if isinstance(end_date, datetime) or not isinstance(end_date, date):
            raise GeneratorError(f"end_date must be a date, got {self.end_date!r}; pass a date")
        object.__setattr__(self, "end_date", end_date)
        object.__setattr__(self, "dirty_rate", float(self.dirty_rate))

    @property
    def last_day(self) -> date:
        """``end_date`` resolved (never None after construction)."""
        assert self.end_date is not None
        return self.end_date

    @property
    def customer_count(self) -> int:
        """The customer pool size: explicit, or ``max(200, transactions // 5)``."""
        if self.customers is not None:
            return self.customers
        return max(200, self.transactions // 5)


@dataclass(frozen=True)
class GenerationResult:
    """What ``generate_all`` wrote.

    Attributes
    ----------
    files
        Dataset name -> written file.
    rows
        Dataset name -> rows written (transactions include injected duplicate rows).
    manifest_path
        ``manifest.json`` in the output folder.
    manifest
        The manifest's content.
    """

    files: dict[str, Path]
    rows: dict[str, int]
    manifest_path: Path
    manifest: dict[str, Any] = field(repr=False)
