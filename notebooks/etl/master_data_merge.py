# %% [markdown]
# # Master data merge
#
# Joins the cleaned datasets of this run into the analytics-ready `curated` tables:
# transactions with product attributes, products with inventory metrics, clickstream
# events and sessions, the daily funnel, customer metrics (lifetime value, RFM segments),
# product performance and product affinity (co-purchase pairs: the recommendation
# insights). Lines and reviews of products missing from the catalog are checked here,
# because only the merge sees every dataset: kept with empty product attributes and
# reported (the default), or rejected with a reason (`feeds.<dataset>.references`).

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"
inventory_window_days = 30
rating_prior_weight = 10.0
affinity_min_pair_count = 3

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import (
    customer_metrics,
    enrich_transactions,
    inventory_metrics,
    product_affinity,
    product_performance,
    rating_stats,
)
from pipeline_lib.transform.references import check_references

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %%
products = jobs.read_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id)
transactions = jobs.read_table(ctx.lake, Zone.PROCESSED, "transactions", ctx.run_id)
reviews = jobs.read_table(ctx.lake, Zone.PROCESSED, "reviews", ctx.run_id)
# Only product_performance reads the events, and only these two of their columns.
events = jobs.read_table(
    ctx.lake, Zone.PROCESSED, "clickstream", ctx.run_id, columns=["event_type", "product_id"]
)

# %% [markdown]
# ## References to products missing from the catalog

# %%
domains = ctx.domains()
known_products = products["product_id"]
lines, rated = (
    check_references(frame, dataset=name, column="product_id", known=known_products,
                     reason="unknown_product_id", rule=domains.reference_rule(name, "product_id"))
    for name, frame in (("transactions", transactions), ("reviews", reviews))
)  # fmt: skip
accounting = [
    jobs.record_stage(ctx, "transactions", "merge", lines),
    jobs.record_stage(ctx, "reviews", "merge", rated),
]
jobs.accounting_frame(accounting)

# %% [markdown]
# ## Build the curated tables

# %%
ratings = rating_stats(rated.data, prior_weight=rating_prior_weight)
curated = {
    "transactions": enrich_transactions(lines.data, products),
    "products": inventory_metrics(
        products, lines.data, as_of=ctx.as_of, window_days=inventory_window_days
    ),
    "reviews": rated.data,
    "product_ratings": ratings,
    "customer_metrics": customer_metrics(lines.data, as_of=ctx.as_of),
    "product_performance": product_performance(lines.data, events, ratings, products),
    "product_affinity": product_affinity(lines.data, min_pair_count=affinity_min_pair_count),
}
versions = [
    jobs.write_table(ctx.lake, Zone.CURATED, name, ctx.run_id, frame)
    for name, frame in curated.items()
]
versions += [
    jobs.copy_table(ctx.lake, Zone.PROCESSED, Zone.CURATED, name, ctx.run_id)
    for name in ("clickstream", "sessions", "daily_funnel")
]
jobs.versions_frame(versions)

# %% [markdown]
# ## A first look: customer segments and the strongest co-purchases

# %%
curated["customer_metrics"].groupby("value_segment", observed=True)["lifetime_value"].agg(
    ["count", "mean"]
)

# %%
curated["product_affinity"].head(10)
