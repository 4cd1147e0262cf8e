"""Three differently shaped shops as daily feeds, deterministic from a seed.

Every shop is a set of feed rows in its own vocabulary (column names are the contracts',
as every feed must send them), with helper columns (prefixed ``_``) the writers drop:

- ``generator``: our own generator's shop (``pipeline_lib.generators``), a sampled
  clickstream with ``sample_rate``, canonical words, ``txn_``/``cust_``/``prod_`` ids.
- ``garden``: the second sample shop's garden and home store (the vocabulary, ids and
  quirks of ``tests/fixtures/make_second_shop.py``) at a daily volume: hex order ids,
  UUID customers and sessions, SKU products, messy category spellings, shipped /
  delivered / processing / backorder / refund words, login / search / remove_from_cart
  events, a smart-TV device, a ``coupon_code`` column, blank totals, discontinued SKUs.
- ``nordic``: a Swedish outdoor and electronics store: order-line ids ``1004512-2``,
  hashed customer ids, EAN-13 products, Swedish categories, prices in SEK, discounts in
  the totals, ``open`` / ``fulfilled`` / ``canceled`` words, GA4 event names
  (``view_item``, ``begin_checkout``, one ``purchase`` per order, ``scroll``), capitalized
  devices, CET timestamps; semicolon CSV (gzip), JSON lines (gzip), a JSON array catalog
  and Parquet reviews.

Order statuses settle over days, as a real order feed's do: a line is pending (in the
shop's word) until it settles, then completed or cancelled; a return or refund arrives
days later. A day's delivery holds that day's new lines and every earlier line whose
status changed since the day before (the feed re-sends it), that day's events and reviews.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ("pending", "completed", "cancelled", "returned", "refunded")


# --------------------------------------------------------------------------- feeds


@dataclass
class FeedFile:
    """One file of a delivery: its dataset, name, rows and format."""

    dataset: str
    name: str
    frame: pd.DataFrame
    fmt: str  # csv | csv.gz | json | jsonl | jsonl.gz | parquet
    sep: str = ","
    header_only: bool = False
    #: Extra text written after the rows (a fault's garbage); bytes.
    suffix: bytes = b""


@dataclass
class Batch:
    """One delivery: the files that land for ``day``."""

    day: date
    files: list[FeedFile] = field(default_factory=list)

    def of(self, dataset: str) -> list[FeedFile]:
        return [f for f in self.files if f.dataset == dataset]

    def main(self, dataset: str) -> Optional[FeedFile]:
        found = self.of(dataset)
        return found[0] if found else None

    def drop(self, dataset: str) -> None:
        self.files = [f for f in self.files if f.dataset != dataset]


@dataclass
class Vocab:
    """The shop's words for canonical statuses, event types and devices."""

    statuses: dict[str, tuple[str, ...]]
    events: dict[str, str]
    devices: dict[str, str]

    def status_words(self, canonical: pd.Series, seed: pd.Series) -> pd.Series:
        out = pd.Series("", index=canonical.index, dtype=object)
        for status, words in self.statuses.items():
            hit = canonical == status
            if hit.any():
                pick = (seed[hit] % len(words)).to_numpy()
                out[hit] = np.array(words, dtype=object)[pick]
        return out

    def event(self, canonical: str) -> str:
        return self.events.get(canonical, canonical)

    def device(self, canonical: str) -> str:
        return self.devices.get(canonical, canonical)


@dataclass
class Shop:
    """A shop's whole history as feed rows, its vocabulary, formats and settings."""

    name: str
    seed: int
    last_day: date
    lines: pd.DataFrame
    products: pd.DataFrame
    events: pd.DataFrame
    reviews: pd.DataFrame
    vocab: Vocab
    params: dict[str, Any]
    formats: dict[str, tuple[str, str, str]]  # dataset -> (name stem, fmt, sep)
    timestamp: Callable[[pd.Series], pd.Series]

    # ---- statuses over time
    def statuses_at(self, lines: pd.DataFrame, as_of: date) -> pd.Series:
        """The canonical status of ``lines`` as the feed shows it on ``as_of``."""
        age = (pd.Timestamp(as_of) - pd.to_datetime(lines["_day"])).dt.days.to_numpy()
        final = lines["_final"].to_numpy()
        settled = age >= lines["_settle"].to_numpy()
        returned = age >= lines["_return"].to_numpy()
        status = np.where(settled, "completed", "pending").astype(object)
        status[settled & (final == "cancelled")] = "cancelled"
        late = settled & returned & np.isin(final, ("returned", "refunded"))
        status[late] = final[late]
        return pd.Series(status, index=lines.index)

    def _with_status(self, lines: pd.DataFrame, as_of: date) -> pd.DataFrame:
        out = lines.copy()
        canonical = self.statuses_at(out, as_of)
        out["_status"] = canonical
        out["status"] = self.vocab.status_words(canonical, out["_word"])
        return out

    # ---- deliveries
    def file(self, dataset: str, frame: pd.DataFrame, day: date, tag: str = "") -> FeedFile:
        stem, fmt, sep = self.formats[dataset]
        name = f"{stem}_{day:%Y%m%d}{tag}.{fmt}"
        return FeedFile(dataset, name, frame.reset_index(drop=True), fmt, sep)

    def backfill(self, first: date, last: date) -> Batch:
        """Everything up to ``last``, as the feeds show it on ``last``."""
        lines = self.lines[(self.lines["_day"] >= first) & (self.lines["_day"] <= last)]
        events = self.events[(self.events["_day"] >= first) & (self.events["_day"] <= last)]
        reviews = self.reviews[(self.reviews["_day"] >= first) & (self.reviews["_day"] <= last)]
        return Batch(
            last,
            [
                self.file("products", self.products, last),
                self.file("transactions", self._with_status(lines, last), last),
                self.file("clickstream", events, last),
                self.file("reviews", reviews, last),
            ],
        )

    def delivery(self, day: date) -> Batch:
        """The day's delivery: its new lines, re-sent lines whose status changed, events."""
        new = self.lines[self.lines["_day"] == day]
        older = self.lines[self.lines["_day"] < day]
        before = self.statuses_at(older, day - timedelta(days=1))
        now = self.statuses_at(older, day)
        changed = older[(before != now).to_numpy()]
        lines = pd.concat([self._with_status(changed, day), self._with_status(new, day)])
        # Exported in date order: the re-sent older lines first, the day's own last.
        lines = lines.sort_values(["_day", "_hour"], kind="stable")
        return Batch(
            day,
            [
                self.file("transactions", lines, day),
                self.file("clickstream", self.events[self.events["_day"] == day], day),
                self.file("reviews", self.reviews[self.reviews["_day"] == day], day),
            ],
        )

    # ---- writing
    def write(self, batch: Batch, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for feed in batch.files:
            path = folder / feed.name
            path.write_bytes(self.render(feed))
            paths.append(path)
        return paths

    def render(self, feed: FeedFile) -> bytes:
        frame = feed.frame[[c for c in feed.frame.columns if not str(c).startswith("_")]].copy()
        if "timestamp" in frame.columns and pd.api.types.is_datetime64_any_dtype(
            frame["timestamp"]
        ):
            frame["timestamp"] = self.timestamp(frame["timestamp"])
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) or (
                len(frame) and isinstance(frame[column].iloc[0], date)
            ):
                frame[column] = frame[column].map(_iso)
        if feed.header_only:
            frame = frame.iloc[:0]
        fmt = feed.fmt
        if fmt.startswith("csv"):
            buffer = io.StringIO()
            frame.to_csv(
                buffer, index=False, sep=feed.sep, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
            )
            data = buffer.getvalue().encode() + feed.suffix
        elif fmt.startswith("jsonl"):
            records = frame.astype(object).where(frame.notna(), None).to_dict("records")
            data = "".join(json.dumps(r, default=str) + "\n" for r in records).encode()
            data += feed.suffix
        elif fmt == "json":
            records = frame.astype(object).where(frame.notna(), None).to_dict("records")
            data = json.dumps(records, default=str).encode() + feed.suffix
        elif fmt == "parquet":
            buffer_b = io.BytesIO()
            frame.to_parquet(buffer_b, index=False)
            data = buffer_b.getvalue()
        else:  # pragma: no cover
            raise ValueError(fmt)
        return gzip.compress(data, mtime=0) if fmt.endswith(".gz") else data


def _iso(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _hash(values: Sequence[str]) -> np.ndarray:
    return np.array([int(hashlib.sha1(v.encode()).hexdigest()[:8], 16) for v in values])


def _timeline(
    rng: np.random.Generator, n: int, shares: dict[str, float], settle_mean: float = 2.0
) -> dict[str, np.ndarray]:
    """Final canonical status, settling and return delays (days) of ``n`` lines."""
    final = rng.choice(
        list(shares), size=n, p=np.array(list(shares.values())) / sum(shares.values())
    )
    settle = rng.geometric(1.0 / (1.0 + settle_mean), size=n) - 1  # 0, 1, 2 ... days
    settle = np.where(final == "cancelled", rng.integers(0, 2, size=n), settle)
    back = settle + rng.integers(5, 21, size=n)
    return {"_final": final, "_settle": settle, "_return": back}


def _weekday_volume(
    days: pd.DatetimeIndex, base: float, factors: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    trend = 1.0 + 0.1 * np.arange(len(days)) / max(len(days), 1)
    expected = base * np.asarray(factors)[days.day_of_week] * trend
    return rng.poisson(expected)


# --------------------------------------------------------------------------- generator


def generator_shop(seed: int, last_day: date, days: int, lines: int = 14_000) -> Shop:
    """Our generator's shop: its files for the window, statuses re-timed to settle."""
    from pipeline_lib.generators import GeneratorConfig, generate_all

    ahead = 40  # generate past the window so the window's lines are settled, then re-time
    with tempfile.TemporaryDirectory(prefix="shop-generator-") as tmp:
        total = int(lines * (days + ahead) / days)
        generated = generate_all(
            Path(tmp),
            GeneratorConfig(
                transactions=total,
                seed=seed,
                end_date=last_day + timedelta(days=ahead),
                days=days + ahead,
                products=500,
                dirty_rate=0.0,
            ),
        )
        folder = generated.manifest_path.parent
        tx = pd.read_csv(folder / "transactions.csv", dtype={"transaction_id": str})
        products = pd.read_json(folder / "products.json")
        events = pd.read_json(folder / "clickstream.json", lines=True, convert_dates=False)
        reviews = pd.read_csv(folder / "reviews.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    tx["_day"] = pd.to_datetime(tx["transaction_date"]).dt.date
    tx = tx[tx["_day"] <= last_day].reset_index(drop=True)
    tx["transaction_date"] = tx["_day"]
    final = tx["status"].replace({"pending": "completed"}).to_numpy()
    timeline = _timeline(rng, len(tx), {"completed": 1.0})
    tx["_final"] = final
    tx["_settle"] = timeline["_settle"]
    tx["_return"] = timeline["_return"]
    tx["_word"] = 0
    tx["_hour"] = rng.integers(0, 24, size=len(tx))
    tx = tx.drop(columns=["status"])
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    events["_day"] = events["timestamp"].dt.date
    events = events[events["_day"] <= last_day].reset_index(drop=True)
    reviews["_day"] = pd.to_datetime(reviews["review_date"]).dt.date
    reviews = reviews[reviews["_day"] <= last_day].reset_index(drop=True)
    vocab = Vocab({s: (s,) for s in CANONICAL}, {}, {})
    return Shop(
        "generator",
        seed,
        last_day,
        tx,
        products,
        events,
        reviews,
        vocab,
        params={},
        formats={
            "transactions": ("transactions", "csv", ","),
            "products": ("products", "json", ","),
            "clickstream": ("clickstream", "jsonl", ","),
            "reviews": ("reviews", "csv", ","),
        },
        timestamp=lambda s: s.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


# --------------------------------------------------------------------------- garden


def _second_shop() -> Any:
    """The second sample shop's script (its vocabulary and quirks), loaded by path."""
    path = ROOT / "tests" / "fixtures" / "make_second_shop.py"
    spec = importlib.util.spec_from_file_location("make_second_shop", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_second_shop", module)
    spec.loader.exec_module(module)
    return module


def _uuid(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    return [f"{a:016x}{b:016x}" for a, b in raw.astype(np.uint64)]


def _format_uuid(h: str) -> str:
    h = h[:12] + "4" + h[13:16] + "a" + h[17:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def garden_shop(seed: int, last_day: date, days: int, orders_per_day: float = 95.0) -> Shop:
    """The second sample shop's garden and home store, at a daily volume."""
    model = _second_shop()
    rng = np.random.default_rng(1000 + seed)
    rows = []
    for category, names in model.CATEGORIES.items():
        for name in names:
            for variant in ("", " Pro", " XL", " Mini"):
                rows.append(
                    {
                        "product_id": f"SKU-{int(rng.integers(0, 2**24)):06X}",
                        "name": name + variant,
                        "category": str(
                            rng.choice([category, category, category.upper(), f" {category}"])
                        ),
                        "brand": str(
                            rng.choice(["Greenline", "Hortus", "Nordhaus", "Pawsome", "Lumo"])
                        ),
                        "price": round(float(rng.uniform(4, 400)), 2),
                        "stock": int(rng.integers(0, 250)),
                        "color": rng.choice(["green", "black", "natural", None]),
                    }
                )
    products = pd.DataFrame(rows).drop_duplicates("product_id").reset_index(drop=True)
    price_of = dict(zip(products["product_id"], products["price"]))
    popularity = rng.dirichlet(np.full(len(products), 0.7))
    customers = [_format_uuid(u) for u in _uuid(rng, 4000)]
    first = last_day - timedelta(days=days - 1)
    calendar = pd.date_range(first, last_day, freq="D")
    per_day = _weekday_volume(calendar, orders_per_day, (1.0, 0.95, 0.95, 1.0, 1.1, 1.35, 1.3), rng)
    lines, events = [], []
    devices = model.DEVICES
    for day, n_orders in zip(calendar.date, per_day):
        for _ in range(int(n_orders)):
            customer = customers[int(rng.integers(len(customers)))]
            n_lines = int(rng.choice([1, 1, 1, 2, 2, 3]))
            picked = rng.choice(len(products), size=n_lines, replace=False, p=popularity)
            moment = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(
                seconds=int(rng.integers(7 * 3600, 23 * 3600))
            )
            session = _format_uuid(_uuid(rng, 1)[0])
            device = str(rng.choice(devices))
            steps = [
                ("login", "/account/login"),
                ("page_view", "/"),
                ("search", "/search?q=garden"),
            ]
            coupon = str(rng.choice(["", "", "", "SPRING10", "FREESHIP"]))
            for j in picked:
                product_id = str(products["product_id"][j])
                if rng.random() < 0.015:
                    product_id = f"SKU-DISCONTINUED-{int(rng.integers(1, 4))}"
                quantity = int(rng.choice([1, 1, 1, 2, 2, 3]))
                price = float(price_of.get(product_id, 19.99))
                total = "" if rng.random() < 1 / 9 else f"{quantity * price:.2f}"
                lines.append(
                    {
                        "transaction_id": f"{int(rng.integers(0, 2**48)):012x}",
                        "customer_id": customer,
                        "product_id": product_id,
                        "quantity": quantity,
                        "price": f"{price:.2f}",
                        "total_amount": total,
                        "transaction_date": day,
                        "coupon_code": coupon,
                        "_day": day,
                        "_hour": moment.hour,
                    }
                )
                page = f"/product/{product_id}"
                steps += [("product_view", page), ("add_to_cart", page)]
            steps += [("checkout_start", "/checkout")]
            steps += [("purchase", "/checkout/thank-you")] * n_lines
            for k, (kind, page) in enumerate(steps):
                events.append(
                    (
                        session,
                        customer,
                        kind,
                        page,
                        moment - timedelta(seconds=40 * (len(steps) - k)),
                        device,
                    )
                )
        for _ in range(int(n_orders) * 8):  # browsing that buys nothing
            j = int(rng.choice(len(products), p=popularity))
            page = f"/product/{products['product_id'][j]}"
            start = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(
                seconds=int(rng.integers(0, 86_000))
            )
            depth = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
            walk = [
                ("page_view", "/"),
                ("product_view", page),
                ("add_to_cart", page),
                ("remove_from_cart", page),
            ][:depth]
            visitor = str(rng.choice([*customers[:400], "", "", ""]))
            session = _format_uuid(_uuid(rng, 1)[0])
            device = str(rng.choice(devices))
            for k, (kind, page_k) in enumerate(walk):
                events.append(
                    (
                        session,
                        visitor,
                        kind,
                        page_k,
                        start + timedelta(seconds=40 * k + int(rng.integers(30))),
                    )
                )
                events[-1] = (*events[-1], device)
    tx = pd.DataFrame(lines)
    timeline = _timeline(rng, len(tx), {"completed": 0.86, "cancelled": 0.08, "refunded": 0.06})
    for key, values in timeline.items():
        tx[key] = values
    tx["_word"] = rng.integers(0, 6, size=len(tx))
    clicks = pd.DataFrame(
        events, columns=["session_id", "customer_id", "event_type", "page", "timestamp", "device"]
    )
    clicks["timestamp"] = pd.to_datetime(clicks["timestamp"], utc=True)
    clicks["_day"] = clicks["timestamp"].dt.date
    clicks = clicks[(clicks["_day"] >= first) & (clicks["_day"] <= last_day)]
    clicks = clicks.sort_values("timestamp", kind="stable").reset_index(drop=True)
    n_reviews = int(days * 6)
    texts = ["Sturdy and well made.", "Smaller than expected", "", "Five stars!", "Meh."]
    review_days = [first + timedelta(days=int(d)) for d in rng.integers(0, days, n_reviews)]
    reviews = pd.DataFrame(
        {
            "review_id": [_format_uuid(u) for u in _uuid(rng, n_reviews)],
            "product_id": rng.choice(products["product_id"], n_reviews),
            "customer_id": rng.choice(customers, n_reviews),
            "rating": rng.choice([3, 4, 4, 5, 5, 1, 2], n_reviews),
            "review_text": rng.choice(texts, n_reviews),
            "review_date": review_days,
            "_day": review_days,
        }
    )
    vocab = Vocab(
        {
            "completed": ("shipped", "shipped", "delivered"),
            "pending": ("processing", "backorder"),
            "cancelled": ("cancelled",),
            "refunded": ("refund",),
            "returned": ("refund",),
        },
        {},
        {},
    )
    params = {
        "feeds": {
            # Synonyms given here replace the defaults: the shop lists all of its words.
            "transactions": {
                "values": {
                    "status": {
                        "synonyms": {
                            "backorder": "pending",
                            "processing": "pending",
                            "shipped": "completed",
                            "delivered": "completed",
                            "refund": "refunded",
                        }
                    }
                },
                "references": {"product_id": {"warn_rate": 0.05}},
            },
        }
    }
    return Shop(
        "garden",
        seed,
        last_day,
        tx,
        products,
        clicks,
        reviews,
        vocab,
        params,
        formats={
            "transactions": ("transactions_export", "csv", ","),
            "products": ("products_catalog", "jsonl", ","),
            "clickstream": ("clickstream_events", "jsonl", ","),
            "reviews": ("reviews_export", "csv", ","),
        },
        timestamp=lambda s: s.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    )


# --------------------------------------------------------------------------- nordic

NORDIC_CATEGORIES = {
    "Friluftsliv": (299, 4999),
    "Elektronik": (149, 8999),
    "Kök & Hushåll": (49, 1999),
    "Barn & Baby": (99, 2499),
    "Sport": (149, 3999),
    "Verktyg": (79, 2999),
    "Trädgård": (49, 1499),
    "Böcker": (59, 399),
}


def nordic_shop(seed: int, last_day: date, days: int, orders_per_day: float = 120.0) -> Shop:
    """A Swedish store: SEK, EAN-13 products, GA4 events, discounts, CET timestamps."""
    rng = np.random.default_rng(2000 + seed)
    rows = []
    for category, (low, high) in NORDIC_CATEGORIES.items():
        for i in range(25):
            price = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            rows.append(
                {
                    "product_id": f"73{int(rng.integers(10**10, 10**11 - 1)):011d}",
                    "name": f"{category.split()[0]} artikel {i + 1}",
                    "category": category,
                    "brand": str(
                        rng.choice(["Fjällräv", "Nordisk", "Kjell", "Hultafors", "Lekia"])
                    ),
                    "price": float(round(price / 10) * 10 - 1),
                    "stock": int(rng.integers(0, 400)),
                }
            )
    products = pd.DataFrame(rows).drop_duplicates("product_id").reset_index(drop=True)
    price_of = dict(zip(products["product_id"], products["price"]))
    popularity = rng.dirichlet(np.full(len(products), 0.5))
    customers = [f"c_{h[:16]}" for h in _uuid(rng, 6000)]
    first = last_day - timedelta(days=days - 1)
    calendar = pd.date_range(first, last_day, freq="D")
    per_day = _weekday_volume(calendar, orders_per_day, (1.2, 1.05, 1.0, 0.95, 0.9, 0.8, 1.1), rng)
    cet = timezone(timedelta(hours=1))
    lines, events = [], []
    order_no = 1_000_000 + seed * 100_000
    for day, n_orders in zip(calendar.date, per_day):
        for _ in range(int(n_orders)):
            order_no += 1
            customer = customers[int(rng.integers(len(customers)))]
            n_lines = int(rng.choice([1, 1, 2, 2, 2, 3, 4]))
            picked = rng.choice(len(products), size=n_lines, replace=False, p=popularity)
            discount = float(rng.choice([0, 0, 0, 0.1, 0.15, 0.2, 0.3]))
            local = datetime.combine(day, datetime.min.time(), tzinfo=cet) + timedelta(
                seconds=int(rng.integers(6 * 3600, 23 * 3600 + 1800))
            )
            device = str(rng.choice(["Mobile"] * 5 + ["Desktop"] * 4 + ["Tablet"]))
            session = f"GA1.{int(rng.integers(10**9, 10**10))}"
            steps = [("page_view", "/"), ("scroll", "/")]
            for k, j in enumerate(picked, start=1):
                product_id = str(products["product_id"][j])
                quantity = int(rng.choice([1, 1, 1, 2]))
                price = float(price_of[product_id])
                lines.append(
                    {
                        "transaction_id": f"{order_no}-{k}",
                        "customer_id": customer,
                        "product_id": product_id,
                        "quantity": quantity,
                        "price": price,
                        "total_amount": round(quantity * price * (1 - discount), 2),
                        "transaction_date": day,
                        "_day": day,
                        "_hour": local.hour,
                    }
                )
                steps += [("view_item", f"/p/{product_id}"), ("add_to_cart", f"/p/{product_id}")]
            steps += [("begin_checkout", "/kassa"), ("purchase", "/kassa/tack")]
            for k, (kind, page) in enumerate(steps):
                events.append(
                    (
                        session,
                        customer,
                        kind,
                        page,
                        local - timedelta(seconds=35 * (len(steps) - k)),
                        device,
                    )
                )
        for _ in range(int(n_orders) * 6):
            start = datetime.combine(day, datetime.min.time(), tzinfo=cet) + timedelta(
                seconds=int(rng.integers(0, 86_000))
            )
            j = int(rng.choice(len(products), p=popularity))
            page = f"/p/{products['product_id'][j]}"
            depth = int(rng.choice([1, 1, 2, 2, 3, 4]))
            walk = [
                ("page_view", "/"),
                ("view_search_results", "/sok"),
                ("view_item", page),
                ("add_to_cart", page),
            ][:depth]
            visitor = customers[int(rng.integers(len(customers)))] if rng.random() < 0.4 else None
            session = f"GA1.{int(rng.integers(10**9, 10**10))}"
            device = str(rng.choice(["Mobile"] * 6 + ["Desktop"] * 3 + ["Tablet"]))
            for k, (kind, page_k) in enumerate(walk):
                events.append(
                    (session, visitor, kind, page_k, start + timedelta(seconds=30 * k), device)
                )
    tx = pd.DataFrame(lines)
    timeline = _timeline(
        rng,
        len(tx),
        {"completed": 0.88, "cancelled": 0.05, "returned": 0.05, "refunded": 0.02},
        settle_mean=1.5,
    )
    for key, values in timeline.items():
        tx[key] = values
    tx["_word"] = 0
    clicks = pd.DataFrame(
        events, columns=["session_id", "customer_id", "event_type", "page", "timestamp", "device"]
    )
    clicks["timestamp"] = pd.to_datetime(clicks["timestamp"], utc=True)
    clicks["_day"] = clicks["timestamp"].dt.date
    clicks = clicks[(clicks["_day"] >= first) & (clicks["_day"] <= last_day)]
    clicks = clicks.sort_values("timestamp", kind="stable").reset_index(drop=True)
    n_reviews = int(days * 12)
    review_days = [first + timedelta(days=int(d)) for d in rng.integers(0, days, n_reviews)]
    reviews = pd.DataFrame(
        {
            "review_id": [f"R{int(x):09d}" for x in rng.integers(0, 10**9, n_reviews)],
            "product_id": rng.choice(products["product_id"], n_reviews),
            "customer_id": rng.choice(customers, n_reviews),
            "rating": rng.choice([5, 5, 4, 4, 4, 3, 2, 1], n_reviews).astype("int64"),
            "review_text": rng.choice(
                ["Bra kvalitet", "Snabb leverans", "", "Inte nöjd"], n_reviews
            ),
            "review_date": review_days,
            "_day": review_days,
        }
    )
    vocab = Vocab(
        {
            "completed": ("fulfilled",),
            "pending": ("open",),
            "cancelled": ("canceled",),
            "returned": ("returned",),
            "refunded": ("refund",),
        },
        {"product_view": "view_item", "checkout_start": "begin_checkout"},
        {"mobile": "Mobile", "desktop": "Desktop", "tablet": "Tablet"},
    )
    params = {
        "feeds": {
            # Synonyms given here replace the defaults: the shop lists all of its words.
            "transactions": {
                "values": {
                    "status": {
                        "synonyms": {
                            "open": "pending",
                            "fulfilled": "completed",
                            "canceled": "cancelled",
                            "refund": "refunded",
                        }
                    }
                }
            },
            "clickstream": {
                "values": {
                    "event_type": {
                        "synonyms": {
                            "view_item": "product_view",
                            "begin_checkout": "checkout_start",
                        }
                    }
                }
            },
        },
        "quality": {"consistency": {"line_total": {"max_discount_pct": 35}}},
    }

    def stamp(series: pd.Series) -> pd.Series:
        return series.dt.tz_convert(cet).map(lambda t: t.isoformat(timespec="seconds"))

    return Shop(
        "nordic",
        seed,
        last_day,
        tx,
        products,
        clicks,
        reviews,
        vocab,
        params,
        formats={
            "transactions": ("transactions", "csv.gz", ";"),
            "products": ("products", "json", ","),
            "clickstream": ("clickstream", "jsonl.gz", ","),
            "reviews": ("reviews", "parquet", ","),
        },
        timestamp=stamp,
    )


BUILDERS: dict[str, Callable[..., Shop]] = {
    "generator": generator_shop,
    "garden": garden_shop,
    "nordic": nordic_shop,
}


def build(name: str, seed: int, last_day: date, days: int, *, scale: float = 1.0) -> Shop:
    """Shop ``name`` (``generator``, ``garden``, ``nordic``) over ``days`` days."""
    if name == "generator":
        return generator_shop(seed, last_day, days, lines=int(14_000 * scale * days / 70))
    if name == "garden":
        return garden_shop(seed, last_day, days, orders_per_day=95.0 * scale)
    return nordic_shop(seed, last_day, days, orders_per_day=120.0 * scale)


def with_params(shop: Shop, **extra: Any) -> Shop:
    return replace(shop, params={**shop.params, **extra})
