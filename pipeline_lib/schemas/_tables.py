"""Contracts of the processed and curated tables the ETL writes.

They document every column (the data dictionary is rendered from them) and a test checks
that the tables a run writes have exactly these columns and types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional

from pipeline_lib.schemas._contracts import (
    CLICKSTREAM,
    CONTRACTS,
    PRODUCTS,
    REVIEWS,
    TRANSACTIONS,
)
from pipeline_lib.schemas._domains import REJECT, FeedDomains
from pipeline_lib.schemas._model import Column

if TYPE_CHECKING:
    import pyarrow as pa


#: The month-partitioned tables (in both zones): name -> (partition column, the date column
#: whose ``YYYY-MM`` it holds). The files' layout (pipeline_lib.jobs) reads it from here.
PARTITIONS: dict[str, tuple[str, str]] = {
    "transactions": ("transaction_month", "transaction_date"),
    "clickstream": ("event_month", "event_date"),
    "sessions": ("session_month", "session_date"),
}
#: Customer segments from the RFM scores, in the order their rules are tried (the last one
#: is the default); the rules are in pipeline_lib.transform.customers.
RFM_SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "At Risk",
    "Hibernating",
    "Lost",
)
#: Customer segments by lifetime value, highest first.
VALUE_SEGMENTS = ("High Value", "Medium Value", "Low Value")


@dataclass(frozen=True)
class TableSchema:
    """The contract of one processed or curated table."""

    zone: str
    name: str
    description: str
    grain: str
    columns: tuple[Column, ...]
    written_by: str

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"

    @property
    def partition_column(self) -> Optional[str]:
        """The Hive partition column (``YYYY-MM`` of a date column), None if unpartitioned."""
        partition = PARTITIONS.get(self.name)
        return partition[0] if partition else None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        """The schema of the table's Parquet files (the partition column lives in paths)."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])


def _col(
    name: str,
    dtype: str,
    description: str,
    *,
    nullable: bool = False,
    example: str = "",
    allowed_values: Optional[tuple[str, ...]] = None,
    min_value: Optional[float] = None,
    max_value: Optional[float] = None,
) -> Column:
    return Column(
        name,
        dtype,
        description,
        example,
        nullable=nullable,
        allowed_values=allowed_values,
        min_value=min_value,
        max_value=max_value,
    )


def _same(column: Column, description: Optional[str] = None) -> Column:
    """A raw contract column carried through unchanged."""
    return Column(
        column.name,
        column.dtype,
        description or column.description,
        column.example,
        nullable=column.nullable,
        allowed_values=column.allowed_values,
        min_value=column.min_value,
        max_value=column.max_value,
        pattern=column.pattern,
        references=column.references,
    )


_UNKNOWN_PRODUCT = "{}; empty when the product is missing from the catalog."
_T = {c.name: c for c in TRANSACTIONS.columns}
_P = {c.name: c for c in PRODUCTS.columns}
_C = {c.name: c for c in CLICKSTREAM.columns}

TRANSACTION_COLUMNS = (
    _same(_T["transaction_id"], "Order line identifier; unique (the latest status is kept)."),
    _same(_T["customer_id"]),
    _same(_T["product_id"]),
    _same(_T["quantity"]),
    _same(_T["price"]),
    _col(
        "total_amount",
        "float64",
        "quantity * price in USD; derived when the feed left it empty.",
        example="59.98",
        min_value=0,
    ),
    _same(_T["transaction_date"], "Day of the sale."),
    _col(
        "status",
        "string",
        "Canonical order line status (feeds.transactions.values.status maps the feed's "
        "words; an unknown one is kept as `other`).",
        example="completed",
    ),
    _col("total_amount_derived", "bool", "True when total_amount was missing and derived."),
    _col("processing_date", "date", "The run's as-of date (when this version was built)."),
)
PRODUCT_COLUMNS = (
    _same(_P["product_id"]),
    _col("name", "string", "Display name, whitespace collapsed.", example="Wireless Mouse"),
    _col(
        "category",
        "string",
        "Category in its canonical spelling (a known category's, else the spelling most rows use).",
        example="Electronics",
    ),
    _col(
        "category_id",
        "string",
        "Category slug (as in /category/<id> pages).",
        example="home-kitchen",
    ),
    _col("department", "string", "Department grouping categories.", example="Technology"),
    _col("brand", "string", "Brand name, whitespace collapsed.", example="TechBrand"),
    _same(_P["price"]),
    _same(_P["stock"]),
)
CLICKSTREAM_COLUMNS = (
    _same(_C["session_id"], "Session id assigned by the website (the source session)."),
    _same(_C["customer_id"]),
    _same(_C["event_type"]),
    _same(_C["page"]),
    _same(_C["timestamp"]),
    _col(
        "device",
        "string",
        "Device class, lowercased.",
        example="mobile",
    ),
    _same(
        _C["sample_rate"],
        "Share of sessions like this one a sampled log kept, in (0, 1]; empty when the feed "
        "is complete. curated.sessions and curated.daily_funnel weight by 1 / sample_rate.",
    ),
    _col("event_date", "date", "UTC date of the event."),
    _col(
        "product_id",
        "string",
        "Product of a /product/<id> page; empty elsewhere.",
        nullable=True,
        example="prod_456",
    ),
    _col(
        "derived_session_id",
        "string",
        "Session by 30 minutes of inactivity per visitor: "
        "<customer_id>-<n>, or anon-<session_id>-<n> for anonymous visitors.",
        example="cust_123-4",
    ),
)
SESSION_COLUMNS = (
    _col("derived_session_id", "string", "The session (see curated.clickstream)."),
    _col(
        "customer_id", "string", "Signed-in customer; empty for anonymous sessions.", nullable=True
    ),
    _col("session_id", "string", "Source session id of the first event."),
    _col("device", "string", "Device of the first event."),
    _col("session_start", "timestamp", "First event (UTC)."),
    _col("session_end", "timestamp", "Last event (UTC)."),
    _col("duration_seconds", "int64", "Whole seconds from first to last event.", min_value=0),
    _col("event_count", "int64", "Events in the session.", min_value=1),
    _col("product_views", "int64", "product_view events.", min_value=0),
    _col("add_to_carts", "int64", "add_to_cart events.", min_value=0),
    _col(
        "funnel_depth",
        "int64",
        "Deepest funnel step reached: page_view 1, product_view 2, "
        "add_to_cart 3, checkout_start 4, purchase 5.",
        min_value=0,
        max_value=5,
    ),
    _col("converted", "bool", "True when the session has a purchase."),
    _col("session_date", "date", "UTC date of the session start."),
    _col(
        "sample_weight",
        "float64",
        "Sessions of the traffic this one stands for: 1 / the largest sample_rate among its "
        "events; 1 when the feed is complete.",
        example="20.0",
        min_value=1,
    ),
)
_RATE = "percent, 2 decimals; empty when the denominator is 0"
#: A sampled clickstream counts each event 1 / sample_rate times (once in a complete log).
_WEIGHTED = ", each counted 1 / sample_rate times"
FUNNEL_COLUMNS = (
    _col("date", "date", "UTC day."),
    _col("page_views", "int64", f"page_view events that day{_WEIGHTED}."),
    _col("product_views", "int64", f"product_view events that day{_WEIGHTED}."),
    _col("add_to_carts", "int64", f"add_to_cart events that day{_WEIGHTED}."),
    _col("checkout_starts", "int64", f"checkout_start events that day{_WEIGHTED}."),
    _col("purchases", "int64", f"purchase events that day{_WEIGHTED}."),
    _col("sessions", "int64", "Sessions that started that day (weighted by sample_weight)."),
    _col(
        "converting_sessions",
        "int64",
        "Sessions started that day with a purchase (weighted by sample_weight).",
    ),
    _col("view_to_product_rate", "float64", f"product_views / page_views, {_RATE}.", nullable=True),
    _col(
        "product_to_cart_rate", "float64", f"add_to_carts / product_views, {_RATE}.", nullable=True
    ),
    _col(
        "cart_to_checkout_rate",
        "float64",
        f"checkout_starts / add_to_carts, {_RATE}.",
        nullable=True,
    ),
    _col(
        "checkout_to_purchase_rate",
        "float64",
        f"purchases / checkout_starts, {_RATE}.",
        nullable=True,
    ),
    _col("overall_conversion_rate", "float64", f"purchases / page_views, {_RATE}.", nullable=True),
    _col(
        "session_conversion_rate",
        "float64",
        f"converting_sessions / sessions, {_RATE}.",
        nullable=True,
    ),
)
REVIEW_COLUMNS = tuple(_same(c) for c in REVIEWS.columns)
RATING_COLUMNS = (
    _col("product_id", "string", "The product."),
    _col("review_count", "int64", "Reviews of the product.", min_value=1),
    _col("avg_rating", "float64", "Mean rating.", min_value=1, max_value=5),
    _col(
        "bayesian_rating",
        "float64",
        "(prior_weight * global mean + sum of ratings) / "
        "(prior_weight + review_count): few reviews are pulled to the global mean.",
        min_value=1,
        max_value=5,
    ),
)

_ETL = "notebooks/etl/"
TABLES: dict[str, TableSchema] = {
    t.qualified_name: t
    for t in (
        TableSchema(
            "processed",
            "transactions",
            "Cleaned, deduplicated order lines.",
            "one row per transaction_id",
            TRANSACTION_COLUMNS,
            _ETL + "transaction_etl",
        ),
        TableSchema(
            "processed",
            "products",
            "Standardized catalog with category dimension.",
            "one row per product_id",
            PRODUCT_COLUMNS,
            _ETL + "product_enrichment",
        ),
        TableSchema(
            "processed",
            "clickstream",
            "Cleaned events with derived sessions.",
            "one row per event",
            CLICKSTREAM_COLUMNS,
            _ETL + "clickstream_aggregation",
        ),
        TableSchema(
            "processed",
            "sessions",
            "Sessions with their funnel depth.",
            "one row per derived_session_id",
            SESSION_COLUMNS,
            _ETL + "clickstream_aggregation",
        ),
        TableSchema(
            "processed",
            "daily_funnel",
            "Daily conversion funnel.",
            "one row per day",
            FUNNEL_COLUMNS,
            _ETL + "clickstream_aggregation",
        ),
        TableSchema(
            "processed",
            "reviews",
            "Cleaned reviews (ratings 1-5, latest per id).",
            "one row per review_id",
            REVIEW_COLUMNS,
            _ETL + "reviews_etl",
        ),
        TableSchema(
            "curated",
            "transactions",
            "Order lines with product attributes: the sales fact. A line of a product missing "
            "from the catalog is kept with empty attributes (feeds.<dataset>.references).",
            "one row per transaction_id",
            (
                *TRANSACTION_COLUMNS,
                _col("name", "string", _UNKNOWN_PRODUCT.format("Product name"), nullable=True),
                _col(
                    "category", "string", _UNKNOWN_PRODUCT.format("Product category"), nullable=True
                ),
                _col(
                    "category_id", "string", _UNKNOWN_PRODUCT.format("Category slug"), nullable=True
                ),
                _col("brand", "string", _UNKNOWN_PRODUCT.format("Product brand"), nullable=True),
            ),
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "products",
            "Catalog with inventory metrics over the last "
            "inventory_window_days (30) days of completed sales.",
            "one row per product_id",
            (
                *PRODUCT_COLUMNS,
                _col("stock_value", "float64", "stock * price, rounded to cents."),
                _col("units_sold_window", "int64", "Units sold in the window."),
                _col("avg_daily_units", "float64", "units_sold_window / window days."),
                _col(
                    "days_of_cover",
                    "float64",
                    "stock / avg_daily_units; empty without sales.",
                    nullable=True,
                ),
                _col(
                    "stock_status",
                    "string",
                    "First that applies: out_of_stock "
                    "(stock 0), overstock (no sales), low (< 14 days of cover), "
                    "overstock (> 180 days), ok.",
                    allowed_values=("out_of_stock", "low", "ok", "overstock"),
                ),
            ),
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "clickstream",
            "Website events with derived sessions.",
            "one row per event",
            CLICKSTREAM_COLUMNS,
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "sessions",
            "Sessions with their funnel depth.",
            "one row per derived_session_id",
            SESSION_COLUMNS,
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "daily_funnel",
            "Daily conversion funnel.",
            "one row per day",
            FUNNEL_COLUMNS,
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "reviews",
            "Reviews of known products.",
            "one row per review_id",
            REVIEW_COLUMNS,
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "product_ratings",
            "Rating statistics per reviewed product.",
            "one row per reviewed product_id",
            RATING_COLUMNS,
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "customer_metrics",
            "Purchase history, lifetime value and RFM "
            "segments of customers with a completed line, as of the run date.",
            "one row per customer_id",
            (
                _col("customer_id", "string", "The customer."),
                _col("first_purchase", "date", "First completed line."),
                _col("last_purchase", "date", "Last completed line."),
                _col("total_orders", "int64", "Distinct completed transaction ids."),
                _col("total_units", "int64", "Units over completed lines."),
                _col("lifetime_value", "float64", "Sum of completed total_amount."),
                _col("avg_order_value", "float64", "lifetime_value / total_orders."),
                _col("returns", "int64", "Returned or refunded lines."),
                _col("recency_days", "int64", "Days from last_purchase to the run date."),
                _col(
                    "r_score",
                    "int64",
                    "Recency quintile, 5 = most recent.",
                    min_value=1,
                    max_value=5,
                ),
                _col(
                    "f_score",
                    "int64",
                    "Frequency quintile (total_orders).",
                    min_value=1,
                    max_value=5,
                ),
                _col(
                    "m_score",
                    "int64",
                    "Monetary quintile (lifetime_value).",
                    min_value=1,
                    max_value=5,
                ),
                _col(
                    "rfm_segment",
                    "string",
                    "Segment from the RFM scores (rules in docs/PIPELINE_GUIDE.md).",
                    allowed_values=RFM_SEGMENTS,
                ),
                _col(
                    "value_segment",
                    "string",
                    "High Value (lifetime_value >= 1000), Medium Value (>= 500), Low Value.",
                    allowed_values=VALUE_SEGMENTS,
                ),
            ),
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "product_performance",
            "Sales, returns, funnel and ratings per product.",
            "one row per product_id",
            (
                _col("product_id", "string", "The product."),
                _col(
                    "name",
                    "string",
                    "Product name; empty for ids missing from the catalog.",
                    nullable=True,
                ),
                _col("category", "string", "Product category.", nullable=True),
                _col("revenue", "float64", "Sum of completed total_amount."),
                _col("units_sold", "int64", "Units over completed lines."),
                _col("orders", "int64", "Distinct completed transaction ids."),
                _col("unique_customers", "int64", "Distinct buying customers."),
                _col("returns", "int64", "Returned or refunded lines."),
                _col(
                    "return_rate",
                    "float64",
                    f"returns / (orders + returns), {_RATE}.",
                    nullable=True,
                ),
                _col("product_views", "int64", "product_view events on its page."),
                _col("add_to_carts", "int64", "add_to_cart events on its page."),
                _col("purchases", "int64", "purchase events on its page."),
                _col(
                    "view_to_purchase_rate",
                    "float64",
                    f"purchases / product_views, {_RATE}.",
                    nullable=True,
                ),
                _col("review_count", "int64", "Reviews (0 without)."),
                _col("avg_rating", "float64", "Mean rating; empty without reviews.", nullable=True),
                _col(
                    "bayesian_rating",
                    "float64",
                    "Smoothed rating; empty without reviews.",
                    nullable=True,
                ),
            ),
            _ETL + "master_data_merge",
        ),
        TableSchema(
            "curated",
            "product_affinity",
            "Co-purchase rules product_a -> product_b: "
            "customers who bought a also bought b. A basket is the set of distinct products "
            "of one customer's completed lines on one day (the feed has no order id). Every "
            "pair seen in at least etl.affinity_min_pair_count baskets, most excess baskets "
            "first; readers choose a minimum support (analytics.recommendations.min_support).",
            "one row per ordered product pair",
            (
                _col("product_a", "string", "Product bought."),
                _col("product_b", "string", "Product also bought in the same basket."),
                _col("pair_count", "int64", "Baskets with both products.", min_value=1),
                _col(
                    "support",
                    "float64",
                    "pair_count / all baskets: the share of baskets holding the pair.",
                    min_value=0,
                    max_value=1,
                ),
                _col(
                    "confidence",
                    "float64",
                    "pair_count / baskets with product_a.",
                    min_value=0,
                    max_value=1,
                ),
                _col(
                    "lift",
                    "float64",
                    "confidence / share of baskets with product_b; "
                    "above 1 means bought together more than by chance.",
                    min_value=0,
                ),
                _col(
                    "excess_baskets",
                    "float64",
                    "pair_count minus the baskets expected if a and b were bought "
                    "independently (baskets with a * baskets with b / all baskets); ranks "
                    "the pairs, and never exceeds pair_count.",
                ),
            ),
            _ETL + "master_data_merge",
        ),
    )
}


def with_domains(schema: TableSchema, domains: FeedDomains) -> TableSchema:
    """``schema`` with the deployment's closed value sets, rejecting patterns and ranges.

    A table named after a dataset (``processed.transactions``, ``curated.products``...)
    holds that dataset's columns after the ETL applied the deployment's rules, so a closed
    vocabulary (plus its ``other`` value, if any) bounds them, and a pattern that rejects
    must hold for every row. Open vocabularies and warning patterns add no rule: what
    they let through is reported as notes instead.
    """
    if schema.name not in CONTRACTS:
        return schema
    columns = []
    for column in schema.columns:
        rule = domains.values.get((schema.name, column.name))
        allowed = column.allowed_values
        if rule is not None and rule.allowed is not None:
            allowed = (*rule.allowed, *((rule.other,) if rule.other else ()))
        pattern_rule = domains.pattern_rule(schema.name, column.name)
        pattern = pattern_rule.regex if pattern_rule and pattern_rule.action == REJECT else None
        low, high = column.min_value, column.max_value
        if (schema.name, column.name) in domains.ranges:
            bounds = domains.ranges[(schema.name, column.name)]
            low, high = (bounds.min_value, bounds.max_value) if bounds else (None, None)
        columns.append(
            replace(
                column,
                allowed_values=allowed,
                pattern=pattern or column.pattern,
                min_value=low,
                max_value=high,
            )
        )
    return replace(schema, columns=tuple(columns))
