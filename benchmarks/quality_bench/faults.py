"""Fault kinds, written from what goes wrong in real feeds (not from the audit's rules).

Each fault takes the day's delivery (the files as the shop would send them, in its own
vocabulary and formats) and breaks it the way a real feed breaks: a file that does not
arrive, arrives twice or half, a currency or unit change, a tag removed from a page, a
category renamed, a price feed stuck... It returns a short description of what it did.
A fault never looks at the audit: it only knows the shop's feeds.

Families: timeliness, duplication, volume, values, structure, distribution, consistency,
mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

import numpy as np
import pandas as pd

from .shops import Batch, FeedFile, Shop


@dataclass(frozen=True)
class Context:
    """What a fault may use: the shop, the day, yesterday's delivery, a random stream."""

    shop: Shop
    day: date
    yesterday: Batch
    rng: np.random.Generator


FaultFn = Callable[[Batch, Context], str]


@dataclass(frozen=True)
class Fault:
    name: str
    family: str
    story: str
    apply: FaultFn


FAULTS: dict[str, Fault] = {}


def fault(family: str, story: str) -> Callable[[FaultFn], FaultFn]:
    def register(fn: FaultFn) -> FaultFn:
        FAULTS[fn.__name__] = Fault(fn.__name__, family, story, fn)
        return fn

    return register


# --------------------------------------------------------------------------- helpers


def _tx(batch: Batch) -> FeedFile:
    feed = batch.main("transactions")
    assert feed is not None, "the delivery has no transactions file"
    return feed


def _events(batch: Batch) -> FeedFile:
    feed = batch.main("clickstream")
    assert feed is not None, "the delivery has no clickstream file"
    return feed


def _new_lines(feed: FeedFile, day: date) -> pd.Series:
    """The lines of the day itself (not the re-sent older lines)."""
    return pd.to_datetime(feed.frame["_day"]).dt.date == day


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", np.nan), errors="coerce")


def _scale_amounts(frame: pd.DataFrame, rows: pd.Series, factor: float) -> None:
    for column in ("price", "total_amount"):
        values = _num(frame[column])
        frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = (values[rows] * factor).round(2)


def _catalog(ctx: Context) -> pd.DataFrame:
    return ctx.shop.products.copy()


def _add_catalog(batch: Batch, ctx: Context, catalog: pd.DataFrame) -> None:
    batch.files.append(ctx.shop.file("products", catalog, ctx.day))


# --------------------------------------------------------------------------- timeliness


@fault("timeliness", "the day's transactions file does not arrive (the export job failed)")
def late_transactions_file(batch: Batch, ctx: Context) -> str:
    batch.drop("transactions")
    return "no transactions file"


@fault("timeliness", "the day's clickstream file does not arrive")
def late_clickstream_file(batch: Batch, ctx: Context) -> str:
    batch.drop("clickstream")
    return "no clickstream file"


@fault("timeliness", "the transactions upload was cut off part way")
def partial_transactions_file(batch: Batch, ctx: Context) -> str:
    feed = _tx(batch)
    keep = float(ctx.rng.uniform(0.2, 0.6))
    feed.frame = feed.frame.iloc[: int(len(feed.frame) * keep)]
    return f"first {keep:.0%} of the rows"


@fault("timeliness", "the export ran before the day ended: only the morning is in the files")
def export_ran_early(batch: Batch, ctx: Context) -> str:
    hour = int(ctx.rng.integers(9, 14))
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    tx.frame = tx.frame[~new | (tx.frame["_hour"] < hour)]
    events = _events(batch)
    events.frame = events.frame[events.frame["timestamp"].dt.hour < hour]
    return f"rows before {hour}:00 only"


@fault("timeliness", "the clickstream export switched to a US time zone (timestamps -6 h)")
def timezone_shift(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    hours = int(ctx.rng.integers(5, 9))
    events.frame = events.frame.assign(
        timestamp=events.frame["timestamp"] - pd.Timedelta(hours=hours)
    )
    return f"timestamps {hours} h early"


@fault("timeliness", "the order dates are written a year ahead (a date template bug)")
def dates_a_year_ahead(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    ahead = ctx.day.replace(year=ctx.day.year + 1)
    tx.frame = tx.frame.assign(transaction_date=tx.frame["transaction_date"].astype(object))
    tx.frame.loc[new, "transaction_date"] = ahead
    return f"{int(new.sum())} lines dated {ahead}"


@fault("timeliness", "day and month swapped in the order dates (a locale change)")
def day_month_swapped(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    swapped = date(ctx.day.year, ctx.day.day, ctx.day.month)
    tx.frame = tx.frame.assign(transaction_date=tx.frame["transaction_date"].astype(object))
    tx.frame.loc[new, "transaction_date"] = swapped
    return f"{int(new.sum())} lines dated {swapped}"


# --------------------------------------------------------------------------- duplication


@fault("duplication", "the transactions file is delivered twice, re-exported in another order")
def double_delivery(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    again = ctx.shop.file("transactions", tx.frame.sample(frac=1.0, random_state=1), ctx.day, "-2")
    batch.files.append(again)
    return f"{len(tx.frame)} rows twice"


@fault("duplication", "a re-export renumbers the lines: the same orders arrive again with new ids")
def double_delivery_new_ids(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = tx.frame[_new_lines(tx, ctx.day)].copy()
    new["transaction_id"] = [f"{i}R" for i in new["transaction_id"]]
    batch.files.append(ctx.shop.file("transactions", new, ctx.day, "-reexport"))
    return f"{len(new)} lines again with new ids"


@fault("duplication", "yesterday's transactions are exported again today (a re-run of the job)")
def yesterday_resent(batch: Batch, ctx: Context) -> str:
    old = ctx.yesterday.main("transactions")
    assert old is not None
    # A re-run of the export: the same rows in another order (so not the same file bytes).
    again = old.frame.sort_values("transaction_id", kind="stable")
    batch.files.append(ctx.shop.file("transactions", again, ctx.day, "-rerun"))
    return f"{len(old.frame)} rows of yesterday again"


@fault("duplication", "yesterday's transactions file is delivered again, byte for byte")
def yesterday_file_again(batch: Batch, ctx: Context) -> str:
    old = ctx.yesterday.main("transactions")
    assert old is not None
    batch.files.append(ctx.shop.file("transactions", old.frame, ctx.day, "-again"))
    return f"the same {len(old.frame)} rows, the same bytes"


@fault("duplication", "the tracking tag fires twice: every event is sent twice")
def events_double_fired(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    events.frame = pd.concat([events.frame, events.frame]).sort_values("timestamp", kind="stable")
    return f"{len(events.frame) // 2} events twice"


# --------------------------------------------------------------------------- volume


@fault("volume", "one warehouse's feed is missing: a big category's sales are not in the file")
def category_sales_missing(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    category = ctx.shop.products.set_index("product_id")["category"]
    cats = tx.frame["product_id"].map(category)
    top = cats[_new_lines(tx, ctx.day)].value_counts().index[:3]
    lost = str(ctx.rng.choice(list(top)))
    tx.frame = tx.frame[cats != lost]
    return f"no lines of {lost.strip()}"


@fault("volume", "the mobile app's tracking broke: no events from the biggest device")
def app_tracking_lost(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    top = events.frame["device"].value_counts().index[0]
    events.frame = events.frame[events.frame["device"] != top]
    return f"no {top} events"


@fault("volume", "a bot crawls the shop: thousands of anonymous one-page sessions")
def bot_traffic(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    frame = events.frame
    views = frame[frame["event_type"] == ctx.shop.vocab.event("page_view")]
    n = int(len(views) * ctx.rng.uniform(0.8, 2.0))
    bots = views.sample(n=n, replace=True, random_state=int(ctx.rng.integers(1 << 30))).copy()
    bots["session_id"] = [f"bot-{i}" for i in range(n)]
    bots["customer_id"] = None  # a sampled log samples the bot's sessions as any other
    events.frame = pd.concat([frame, bots]).sort_values("timestamp", kind="stable")
    return f"{n} bot sessions"


@fault("volume", "a load test ran against production: one test customer buys over and over")
def test_orders(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = tx.frame[_new_lines(tx, ctx.day)]
    n = int(len(new) * ctx.rng.uniform(0.6, 1.5))
    test = new.sample(n=n, replace=True, random_state=int(ctx.rng.integers(1 << 30))).copy()
    test["transaction_id"] = [f"loadtest-{i}" for i in range(n)]
    test["customer_id"] = "loadtest-user"
    test["product_id"] = new["product_id"].iloc[0]
    price = _num(new["price"]).iloc[0]
    test["price"] = price
    test["quantity"] = 1
    test["total_amount"] = price
    tx.frame = pd.concat([tx.frame, test])
    return f"{n} test lines"


@fault("volume", "the log provider started sampling 10% of the clickstream, without saying so")
def clickstream_sampled_silently(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    sessions = events.frame["session_id"].drop_duplicates()
    kept = sessions.sample(frac=0.1, random_state=int(ctx.rng.integers(1 << 30)))
    events.frame = events.frame[events.frame["session_id"].isin(set(kept))]
    return f"{len(kept)} of {len(sessions)} sessions"


@fault("volume", "the transactions file arrives with its header only (the query returned nothing)")
def header_only_file(batch: Batch, ctx: Context) -> str:
    _tx(batch).header_only = True
    return "header only"


# --------------------------------------------------------------------------- values


@fault("values", "amounts are sent in cents (a payment provider's unit)")
def amounts_in_cents(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    _scale_amounts(tx.frame, pd.Series(True, index=tx.frame.index), 100.0)
    return "price and total x100"


@fault("values", "the feed switched currency without saying so")
def currency_switch(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    factor = float(ctx.rng.choice([0.92, 0.79, 1.36, 0.087, 11.5]))
    if ctx.shop.name == "nordic":  # SEK -> EUR or USD
        factor = float(ctx.rng.choice([0.087, 0.095]))
    _scale_amounts(tx.frame, pd.Series(True, index=tx.frame.index), factor)
    return f"amounts x{factor}"


@fault("values", "totals now include VAT, unit prices do not")
def totals_include_vat(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    vat = float(ctx.rng.choice([1.2, 1.25, 1.19]))
    totals = _num(tx.frame["total_amount"])
    derived = _num(tx.frame["quantity"]) * _num(tx.frame["price"])
    tx.frame["total_amount"] = (totals.fillna(derived) * vat).round(2)
    return f"totals x{vat}"


@fault("values", "quantities are sent in packs of 6 or 12 (a unit change), totals unchanged")
def quantity_in_packs(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    pack = int(ctx.rng.choice([6, 12]))
    totals = _num(tx.frame["total_amount"])
    derived = _num(tx.frame["quantity"]) * _num(tx.frame["price"])
    tx.frame["total_amount"] = totals.fillna(derived).round(2)
    tx.frame["quantity"] = _num(tx.frame["quantity"]).astype(int) * pack
    return f"quantity x{pack}"


@fault("values", "the price column is stuck: every line carries the same unit price")
def price_column_stuck(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    price = float(_num(tx.frame["price"]).iloc[0])
    tx.frame["price"] = price
    tx.frame["total_amount"] = (_num(tx.frame["quantity"]) * price).round(2)
    return f"every price {price}"


@fault("values", "the catalog's price feed is stuck on last season's prices")
def catalog_prices_stale(batch: Batch, ctx: Context) -> str:
    catalog = _catalog(ctx)
    factor = float(ctx.rng.uniform(0.6, 0.8))
    catalog["price"] = (_num(catalog["price"]) * factor).round(2)
    _add_catalog(batch, ctx, catalog)
    return f"catalog prices x{factor:.2f}"


@fault("values", "returns are sent as negative order lines")
def returns_as_negative_lines(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = tx.frame[_new_lines(tx, ctx.day)]
    n = max(1, int(len(new) * ctx.rng.uniform(0.05, 0.12)))
    neg = new.sample(n=n, random_state=int(ctx.rng.integers(1 << 30))).copy()
    neg["transaction_id"] = [f"{i}-RET" for i in neg["transaction_id"]]
    totals = _num(neg["total_amount"]).fillna(_num(neg["quantity"]) * _num(neg["price"]))
    neg["total_amount"] = -totals.round(2)
    neg["quantity"] = -_num(neg["quantity"]).astype(int)
    tx.frame = pd.concat([tx.frame, neg])
    return f"{n} negative lines"


@fault("values", "prices arrive with decimal commas (an export locale change)")
def decimal_commas(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    for column in ("price", "total_amount"):
        values = _num(tx.frame[column])
        tx.frame[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", ","))
    return "price and total with decimal commas"


# --------------------------------------------------------------------------- structure


@fault("structure", "the export template renamed total_amount to amount")
def column_renamed(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    tx.frame = tx.frame.rename(columns={"total_amount": "amount"})
    return "total_amount -> amount"


@fault("structure", "customer ids are no longer exported (a privacy change)")
def customer_ids_dropped(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    tx.frame["customer_id"] = ""
    return "customer_id empty"


@fault("structure", "two columns swapped places in the export (price and quantity)")
def columns_swapped(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    price, quantity = tx.frame["price"].copy(), tx.frame["quantity"].copy()
    tx.frame["price"], tx.frame["quantity"] = quantity, price
    return "price <-> quantity"


@fault("structure", "the clickstream export lost its device column")
def device_column_dropped(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    events.frame = events.frame.drop(columns=["device"])
    return "no device column"


# --------------------------------------------------------------------------- distribution


@fault("distribution", "one supplier's prices switched unit (x10) in the feed")
def category_price_unit(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    category = ctx.shop.products.set_index("product_id")["category"]
    cats = tx.frame["product_id"].map(category)
    top = cats.value_counts().index[:3]
    hit = cats == str(ctx.rng.choice(list(top)))
    _scale_amounts(tx.frame, hit, 10.0)
    return f"{int(hit.sum())} lines of one category x10"


@fault("distribution", "a join bug gives every line of the day the same customer")
def customer_ids_collapsed(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    tx.frame.loc[new, "customer_id"] = tx.frame.loc[new, "customer_id"].iloc[0]
    return "one customer id"


@fault("distribution", "the user-agent parser broke: every session is reported as desktop")
def device_all_desktop(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    events.frame["device"] = ctx.shop.vocab.device("desktop")
    return "all desktop"


# --------------------------------------------------------------------------- consistency


@fault("consistency", "the tracking tag was removed from the checkout page")
def checkout_tag_removed(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    kind = ctx.shop.vocab.event("checkout_start")
    events.frame = events.frame[events.frame["event_type"] != kind]
    return f"no {kind} events"


@fault("consistency", "the tracking tag was removed from the thank-you page")
def purchase_tag_removed(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    kind = ctx.shop.vocab.event("purchase")
    events.frame = events.frame[events.frame["event_type"] != kind]
    return f"no {kind} events"


@fault("consistency", "the tracking tag was removed from the product pages")
def product_tag_removed(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    kind = ctx.shop.vocab.event("product_view")
    events.frame = events.frame[events.frame["event_type"] != kind]
    return f"no {kind} events"


@fault("consistency", "the order feed switched product ids to a new format")
def product_ids_new_format(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    tx.frame.loc[new, "product_id"] = "P-" + tx.frame.loc[new, "product_id"].astype(str).str[::-1]
    return "product ids P-<reversed>"


# --------------------------------------------------------------------------- mix


@fault("mix", "a category was renamed in the catalog")
def category_renamed(batch: Batch, ctx: Context) -> str:
    catalog = _catalog(ctx)
    top = catalog["category"].str.strip().value_counts().index[0]
    hit = catalog["category"].str.strip().str.lower() == top.lower()
    catalog.loc[hit, "category"] = f"{top} & More"
    _add_catalog(batch, ctx, catalog)
    return f"{top} -> {top} & More"


@fault("mix", "the status mapping broke: every new line arrives as completed")
def status_all_completed(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    new = _new_lines(tx, ctx.day)
    word = ctx.shop.vocab.statuses["completed"][0]
    tx.frame.loc[new, "status"] = word
    return f"every new line {word}"


@fault("mix", "the order system renamed a status word")
def status_word_renamed(batch: Batch, ctx: Context) -> str:
    tx = _tx(batch)
    top = tx.frame["status"].value_counts().index[0]
    tx.frame.loc[tx.frame["status"] == top, "status"] = (
        "dispatched" if top != "dispatched" else "sent"
    )
    return f"{top} -> dispatched"


@fault("mix", "the tracking plan renamed the add-to-cart event")
def event_renamed(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    kind = ctx.shop.vocab.event("add_to_cart")
    events.frame.loc[events.frame["event_type"] == kind, "event_type"] = "cart_add"
    return f"{kind} -> cart_add"


@fault("mix", "a consent banner went live: most visitors are no longer identified")
def consent_banner(batch: Batch, ctx: Context) -> str:
    events = _events(batch)
    sessions = events.frame["session_id"].drop_duplicates()
    hidden = set(sessions.sample(frac=0.8, random_state=int(ctx.rng.integers(1 << 30))))
    hit = events.frame["session_id"].isin(hidden)
    events.frame["customer_id"] = events.frame["customer_id"].astype(object)
    events.frame.loc[hit, "customer_id"] = None
    return "80% of sessions anonymous"


def families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in FAULTS.values():
        out.setdefault(f.family, []).append(f.name)
    return out


def describe(name: Optional[str] = None) -> str:
    items = [FAULTS[name]] if name else list(FAULTS.values())
    return "\n".join(f"{f.family:12s} {f.name:30s} {f.story}" for f in items)


def day_offset(day: date, days: int) -> date:
    return day + timedelta(days=days)
