# %% [markdown]
# # Product enrichment
#
# Standardizes the product catalog (category spelling, whitespace in names and brands),
# joins the category dimension (`category_id`, `department`), rejects invalid products
# with a reason and keeps the latest record per `product_id`. Inventory metrics need the
# sales, so `master_data_merge` adds them once every dataset is clean.

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
source = jobs.read_validated(ctx, "products")
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)

# %%
result = standardize_products(source.frame, domains=ctx.domains())
etl = jobs.record_stage(ctx, "products", "etl", result)
version = jobs.write_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id, result.data)
jobs.accounting_frame([ingestion, etl])

# %%
result.data.groupby("category", observed=True).size().rename("products").to_frame()
