# %% [markdown]
# # Reviews ETL
#
# Cleans the reviews: ratings outside 1..5 are rejected with a reason, the latest record
# per `review_id` is kept, and review text is kept verbatim. Per-product rating statistics
# are computed by `master_data_merge`, after reviews of unknown products are rejected.

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import clean_reviews

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %%
source = jobs.read_validated(ctx, "reviews")
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)

# %%
result = clean_reviews(source.frame)
etl = jobs.record_stage(ctx, "reviews", "etl", result)
version = jobs.write_table(ctx.lake, Zone.PROCESSED, "reviews", ctx.run_id, result.data)
jobs.accounting_frame([ingestion, etl])

# %%
result.data["rating"].value_counts().sort_index().rename("reviews").to_frame()
