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
# The tables over the whole history (ratings, customer metrics, product performance,
# affinity) are SQL in `sql/aggregates/`, run by DuckDB within a memory limit
# (`aggregates:` in the params file), never the history in pandas.

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"
inventory_window_days = 30
rating_prior_weight = 10.0
affinity_min_pair_count = 3

# %%
from pipeline_lib import jobs, query
from pipeline_lib.storage import Zone
from pipeline_lib.transform import enrich_transactions, inventory_metrics
from pipeline_lib.transform.references import check_references

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %%
products = jobs.read_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id)
transactions = jobs.read_table(ctx.lake, Zone.PROCESSED, "transactions", ctx.run_id)
reviews = jobs.read_table(ctx.lake, Zone.PROCESSED, "reviews", ctx.run_id)

# %% [markdown]
# ## References to products missing from the catalog

# %%
domains = ctx.domains()
known_products = products["product_id"]
lines, rated = (
    check_references(
        frame,
        dataset=name,
        column="product_id",
        known=known_products,
        reason="unknown_product_id",
        rule=domains.reference_rule(name, "product_id"),
    )
    for name, frame in (("transactions", transactions), ("reviews", reviews))
)
accounting = [
    jobs.record_stage(ctx, "transactions", "merge", lines),
    jobs.record_stage(ctx, "reviews", "merge", rated),
]
jobs.accounting_frame(accounting)

# %% [markdown]
# ## Build the curated tables

# %%
curated = {
    "transactions": enrich_transactions(lines.data, products),
    "products": inventory_metrics(
        products, lines.data, as_of=ctx.as_of, window_days=inventory_window_days
    ),
    "reviews": rated.data,
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
# ## Whole-history aggregates in SQL
#
# `sql/aggregates/<table>.sql` (Athena SQL, which an Athena CTAS can run too) over the
# curated tables just written: product ratings, customer metrics as of the run's date,
# product performance and product affinity. DuckDB spills to disk beyond its memory limit.

# %%
del products, transactions, reviews, lines, rated, curated  # DuckDB's turn for the memory
aggregates = query.write_aggregates(
    ctx,
    {
        "rating_prior_weight": rating_prior_weight,
        "affinity_min_pair_count": affinity_min_pair_count,
    },
)
jobs.versions_frame(aggregates)

# %% [markdown]
# ## A first look: customer segments and the strongest co-purchases

# %%
customers = jobs.read_table(
    ctx.lake, Zone.CURATED, "customer_metrics", ctx.run_id, ["value_segment", "lifetime_value"]
)
customers.groupby("value_segment", observed=True)["lifetime_value"].agg(["count", "mean"])

# %%
jobs.read_table(ctx.lake, Zone.CURATED, "product_affinity", ctx.run_id).head(10)
