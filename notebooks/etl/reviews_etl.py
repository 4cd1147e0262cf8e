# %% [markdown]
# # Reviews ETL
#
# Cleans the reviews: ratings outside 1..5 are rejected with a reason, the latest record
# per `review_id` is kept, and review text is kept verbatim. A run reads only the files that
# arrived and merges them into the published reviews. Per-product rating statistics
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
base_run = jobs.base_run(ctx, "reviews")  # None: build from every file (a full refresh)
source = jobs.read_validated(ctx, "reviews", batch_only=True)
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)

# %%
result = clean_reviews(source.frame)
# The batch's rows replace the published rows with the same review_id; the rest carry over.
merged = jobs.merge_table(
    ctx.lake, Zone.PROCESSED, "reviews", ctx.run_id, result.data, key="review_id", base_run=base_run
)
etl = jobs.record_stage(ctx, "reviews", "etl", result, merged=merged)
jobs.accounting_frame([ingestion, etl])

# %%
result.data["rating"].value_counts().sort_index().rename("reviews this run").to_frame()
