# %% [markdown]
# # Product enrichment
#
# Standardizes the product catalog (category spelling, whitespace in names and brands),
# joins the category dimension (`category_id`, `department`), rejects invalid products
# with a reason and keeps the latest record per `product_id`. A run reads only the catalog
# files that arrived and merges them into the published catalog (a later record of a
# product replaces it). A new category takes the spelling most rows use over every catalog
# file, not only the new ones: the run adds its files' counts to those of the published
# catalog, and respells the catalog's older rows when the most used spelling changes
# (docs/adr/0002-incremental-runs.md). Inventory metrics need the sales, so
# `master_data_merge` adds them once every dataset is clean.

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
domains = ctx.domains()
# Every row fed counts, as in a run over every file: the published catalog's counts + ours.
spellings = jobs.count_spellings(ctx, source, base_run, ["category"])
result = standardize_products(source.frame, domains=domains, spellings=spellings.usual("category"))
# The batch's rows replace the published rows with the same product_id; the rest carry over.
merged = jobs.merge_table(
    ctx.lake,
    Zone.PROCESSED,
    "products",
    ctx.run_id,
    result.data,
    key="product_id",
    base_run=base_run,
)
respelled = jobs.respell_products(ctx.lake, ctx.run_id, spellings.usual("category"), domains)
etl = jobs.record_stage(ctx, "products", "etl", result, merged=merged)
print(f"{respelled} products of the published catalog respelled")
jobs.accounting_frame([ingestion, etl])

# %%
catalog = jobs.read_table(ctx.lake, Zone.PROCESSED, "products", ctx.run_id, columns=["category"])
catalog.groupby("category", observed=True).size().rename("products").to_frame()
