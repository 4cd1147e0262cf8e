# %% [markdown]
# # Product enrichment
#
# Standardizes the product catalog (category spelling, whitespace in names and brands),
# joins the category dimension (`category_id`, `department`), rejects invalid products
# with a reason and keeps the latest record per `product_id`. A run reads only the catalog
# files that arrived and merges them into the published catalog (a later record of a
# product replaces it). Inventory metrics need the sales, so `master_data_merge` adds them
# once every dataset is clean.

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import standardize_products

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %%
base_run = jobs.base_run(ctx, "products")  # None: build from every file (a full refresh)
source = jobs.read_validated(ctx, "products", batch_only=True)
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)

# %%
result = standardize_products(source.frame, domains=ctx.domains())
# The batch's rows replace the published rows with the same product_id; the rest carry over.
merged = jobs.merge_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id, result.data,
                          key="product_id", base_run=base_run)  # fmt: skip
etl = jobs.record_stage(ctx, "products", "etl", result, merged=merged)
jobs.accounting_frame([ingestion, etl])

# %%
catalog = jobs.read_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id, columns=["category"])
catalog.groupby("category", observed=True).size().rename("products").to_frame()
