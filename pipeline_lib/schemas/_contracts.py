"""The four raw datasets of the mission. Columns match the mission's sample files exactly.

Contracts describe structure: columns, types, nullability, keys, references and the
numeric bounds that make a row meaningless. Which values a text column may take (statuses,
categories, event types, devices) and identifier patterns are the deployment's settings:
see :mod:`pipeline_lib.schemas._domains`.
"""

from __future__ import annotations

from pipeline_lib.schemas._model import Column, DatasetContract

#: The sample shop's vocabulary: what the generator writes (a deployment sets its own in
#: params, see _domains). EVENT_TYPES are the funnel steps, in funnel order.
TRANSACTION_STATUSES = ("completed", "returned", "refunded", "pending")
EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout_start", "purchase")
DEVICES = ("mobile", "desktop", "tablet")
#: Date formats accepted in date columns, tried in this order. Slashed dates with the year
#: last are read as US month/day/year. Feeds send ISO most of the time.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%d-%b-%Y", "%Y-%m-%dT%H:%M:%S")
#: Timestamp formats accepted in timestamp columns; a missing offset means UTC.
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
CATEGORIES = (
    "Electronics",
    "Home & Kitchen",
    "Clothing",
    "Sports & Outdoors",
    "Beauty",
    "Books",
    "Toys & Games",
    "Grocery",
)

TRANSACTIONS = DatasetContract(
    name="transactions",
    description=(
        "One row per order line: a customer bought a quantity of one product. A later row "
        "with the same transaction_id is a status update (e.g. completed -> returned)."
    ),
    file_format="csv",
    file_patterns=("transactions*.csv",),
    business_key=("transaction_id",),
    event_date_column="transaction_date",
    partition_note="raw: `ingest_date` (the day the file landed)",
    dedup_note="keep the latest record per transaction_id (a later record is a status update)",
    columns=(
        Column(
            "transaction_id",
            "string",
            "Order line identifier; unique after keeping the latest status update.",
            "txn_001",
        ),
        Column(
            "customer_id",
            "string",
            "The buying customer.",
            "cust_123",
        ),
        Column(
            "product_id",
            "string",
            "The product bought.",
            "prod_456",
            references="products.product_id",
        ),
        Column(
            "quantity",
            "int64",
            "Units bought; rows with quantity <= 0 are invalid.",
            "2",
            min_value=1,
            max_value=1000,
        ),
        Column(
            "price",
            "float64",
            "Unit price in USD at the time of sale.",
            "29.99",
            min_value=0.01,
            max_value=100_000,
        ),
        Column(
            "total_amount",
            "float64",
            "quantity * price in USD; may be missing in the feed (then derived); < 0 is invalid.",
            "59.98",
            nullable=True,
            min_value=0,
            max_value=10_000_000,
        ),
        Column(
            "transaction_date",
            "date",
            "Day of the sale. Feeds send ISO dates and a few other formats "
            "(see Dates and timestamps).",
            "2025-01-15",
        ),
        Column(
            "status",
            "string",
            "Order line status.",
            "completed",
        ),
    ),
)

PRODUCTS = DatasetContract(
    name="products",
    description="The product catalog: one object per product (JSON array or JSON lines).",
    file_format="json",
    file_patterns=("products*.json", "products*.jsonl"),
    business_key=("product_id",),
    event_date_column=None,
    partition_note="raw: `ingest_date`; the catalog is a snapshot (each file replaces the last)",
    dedup_note="keep the last record per product_id",
    columns=(
        Column(
            "product_id",
            "string",
            "Product identifier.",
            "prod_456",
        ),
        Column("name", "string", "Product display name (free text).", "Wireless Mouse"),
        Column(
            "category",
            "string",
            "Product category; feeds may add stray whitespace or change case.",
            "Electronics",
        ),
        Column("brand", "string", "Brand name.", "TechBrand"),
        Column(
            "price",
            "float64",
            "Current list price in USD.",
            "29.99",
            min_value=0.01,
            max_value=100_000,
        ),
        Column(
            "stock",
            "int64",
            "Units in stock now.",
            "150",
            min_value=0,
            max_value=1_000_000,
        ),
    ),
)

CLICKSTREAM = DatasetContract(
    name="clickstream",
    description=(
        "Website events, one JSON object per line. Sessions follow the funnel "
        "page_view -> product_view -> add_to_cart -> checkout_start -> purchase."
    ),
    file_format="jsonl",
    file_patterns=("clickstream*.json", "clickstream*.jsonl"),
    business_key=("session_id", "timestamp", "event_type", "page"),
    event_date_column="timestamp",
    partition_note="raw: `ingest_date`",
    dedup_note="drop exact repeats of (session_id, timestamp, event_type, page)",
    columns=(
        Column(
            "session_id",
            "string",
            "Session identifier assigned by the website.",
            "sess_789",
        ),
        Column(
            "customer_id",
            "string",
            "The signed-in customer; empty for anonymous visitors.",
            "cust_123",
            nullable=True,
        ),
        Column(
            "event_type",
            "string",
            "What the visitor did: the funnel steps page_view, product_view, add_to_cart, "
            "checkout_start and purchase, or any other event the site records.",
            "page_view",
        ),
        Column(
            "page",
            "string",
            "URL path of the page; product pages are /product/<product_id>.",
            "/product/prod_456",
        ),
        Column(
            "timestamp",
            "timestamp",
            "When the event happened, ISO-8601 in UTC.",
            "2025-01-15T10:30:45Z",
        ),
        Column(
            "device",
            "string",
            "Device class of the visitor.",
            "mobile",
        ),
        Column(
            "sample_rate",
            "float64",
            "For a sampled log: the share of sessions like this one that the log kept, in "
            "(0, 1]; the event stands for 1 / sample_rate events of the traffic. Optional: "
            "absent or empty means the log is complete (1).",
            "0.05",
            nullable=True,
            optional=True,
            min_value=0.000001,
            max_value=1,
        ),
    ),
)

REVIEWS = DatasetContract(
    name="reviews",
    description="Customer reviews: a 1-5 star rating and optional text per product.",
    file_format="csv",
    file_patterns=("reviews*.csv",),
    business_key=("review_id",),
    event_date_column="review_date",
    partition_note="raw: `ingest_date`",
    dedup_note="keep the last record per review_id",
    columns=(
        Column(
            "review_id",
            "string",
            "Review identifier.",
            "rev_001",
        ),
        Column(
            "product_id",
            "string",
            "The product reviewed.",
            "prod_456",
            references="products.product_id",
        ),
        Column(
            "customer_id",
            "string",
            "The reviewing customer.",
            "cust_123",
        ),
        Column("rating", "int64", "Star rating.", "5", min_value=1, max_value=5),
        Column(
            "review_text",
            "string",
            "Free text; may be empty; kept verbatim (never evaluated or rendered as HTML).",
            "Great product!",
            nullable=True,
        ),
        Column("review_date", "date", "Day the review was posted.", "2025-01-16"),
    ),
)

CONTRACTS: dict[str, DatasetContract] = {
    c.name: c for c in (TRANSACTIONS, PRODUCTS, CLICKSTREAM, REVIEWS)
}
