"""Tiny curated tables for the quality tests, served by DuckDB like the audit's views."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Optional

import duckdb
import numpy as np
import pandas as pd

AS_OF = date(2026, 10, 31)  # a Saturday

#: Partition columns the lake's views expose from folder names (text, YYYY-MM).
MONTH_OF = {
    "curated.transactions": ("transaction_month", "transaction_date"),
    "curated.clickstream": ("event_month", "event_date"),
    "curated.sessions": ("session_month", "session_date"),
}


class FrameRunner:
    """A SqlRunner over DataFrames: one DuckDB view per ``zone.table``."""

    dialect = "duckdb"

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.tables: dict[str, Any] = {name: None for name in frames}
        self._con = duckdb.connect()
        for schema in sorted({n.split(".")[0] for n in frames}):
            self._con.execute(f"create schema {schema}")
        for i, (name, frame) in enumerate(sorted(frames.items())):
            frame = frame.copy()
            if name in MONTH_OF:
                month, day = MONTH_OF[name]
                frame[month] = pd.to_datetime(frame[day]).dt.strftime("%Y-%m")
            self._con.register(f"frame_{i}", frame)
            self._con.execute(f"create view {name} as select * from frame_{i}")

    def query(self, sql: str) -> pd.DataFrame:
        return self._con.execute(sql).df()

    def close(self) -> None:
        self._con.close()


def transactions(
    days: int = 70,
    per_day: int = 60,
    *,
    end: date = AS_OF,
    seed: int = 7,
    products: int = 40,
) -> pd.DataFrame:
    """Order lines: catalog prices, quantity 1-3, total = quantity x price, settled statuses."""
    rng = np.random.default_rng(seed)
    rows = []
    prices = np.round(rng.uniform(5, 200, products), 2)
    n = 0
    for back in range(days - 1, -1, -1):
        day = end - timedelta(days=back)
        for _ in range(per_day):
            product = int(rng.integers(products))
            quantity = int(rng.integers(1, 4))
            n += 1
            rows.append(
                {
                    "transaction_id": f"t{n:06d}",
                    "customer_id": f"c{int(rng.integers(500)):04d}",
                    "product_id": f"p{product:03d}",
                    "quantity": quantity,
                    "price": float(prices[product]),
                    "total_amount": round(quantity * float(prices[product]), 2),
                    "transaction_date": day,
                    "status": str(rng.choice(["completed"] * 9 + ["returned"])),
                    "total_amount_derived": False,
                    "processing_date": end - timedelta(days=1),
                    "category": f"Cat{product % 4}",
                }
            )
    return pd.DataFrame(rows)


def products(count: int = 40, seed: int = 7) -> pd.DataFrame:
    """The catalog matching :func:`transactions` (same prices for the same seed)."""
    rng = np.random.default_rng(seed)
    prices = np.round(rng.uniform(5, 200, count), 2)
    return pd.DataFrame(
        {
            "product_id": [f"p{i:03d}" for i in range(count)],
            "price": prices,
            "category": [f"Cat{i % 4}" for i in range(count)],
        }
    )


FUNNEL = ("page_view", "product_view", "add_to_cart", "checkout_start", "purchase")


def clickstream(
    days: int = 3,
    sessions_per_day: int = 100,
    *,
    end: date = AS_OF,
    skip: Optional[str] = None,
) -> pd.DataFrame:
    """Sessions that walk the funnel to a depth of 1-5 steps; ``skip`` drops one step."""
    rows = []
    for back in range(days):
        day = end - timedelta(days=back)
        for s in range(sessions_per_day):
            depth = 1 + s % 5
            for step in FUNNEL[:depth]:
                if step == skip:
                    continue
                rows.append(
                    {
                        "derived_session_id": f"{day}-{s}",
                        "event_type": step,
                        "event_date": day,
                        "customer_id": None,
                        "sample_rate": None,
                    }
                )
    return pd.DataFrame(rows)


def daily_funnel(lines: pd.DataFrame, purchases_per_line: float = 1.0) -> pd.DataFrame:
    """One funnel row per day of ``lines``: purchases = lines x ``purchases_per_line``."""
    per_day = lines.groupby("transaction_date").size()
    return pd.DataFrame(
        {
            "date": per_day.index,
            "purchases": np.round(per_day.to_numpy() * purchases_per_line).astype(int),
            "sessions": per_day.to_numpy() * 20,
            "converting_sessions": per_day.to_numpy(),
        }
    )
