# %% [markdown]
# # Transaction ETL
#
# Cleans the transactions feed for one run, following the mission's steps:
# parse the files and convert dates (done at ingestion, into typed Parquet copies), handle
# nulls, derive `total_amount` where it is missing, add the processing date, reject invalid
# lines with a reason, keep the latest record per `transaction_id`, and write Parquet
# partitioned by month. A daily run reads only the files that arrived and rewrites only
# the months they touch (docs/adr/0002-incremental-runs.md). The catalog is updated when
# the run publishes.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
run_id = "manual"  # names this run's table versions, rejects and accounting
as_of = ""  # the run's logical date, YYYY-MM-DD; empty means today (UTC)
env = "local"

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import clean_transactions

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %% [markdown]
# ## Read the files that arrived since the live version, in arrival order
#
# A full refresh (`ecom-pipeline run --full-refresh`, or no published version yet) reads
# every accepted file instead.

# %%
base_run = jobs.base_run(ctx, "transactions")
source = jobs.read_validated(ctx, "transactions", batch_only=True)
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)
print(
    f"{source.files} new files, {len(source.frame):,} typed rows; merging into "
    f"{'version ' + base_run if base_run else 'nothing (full build)'}"
)

# %% [markdown]
# ## Clean, derive, reject, deduplicate

# %%
result = clean_transactions(source.frame, processing_date=ctx.as_of, domains=ctx.domains())

# %% [markdown]
# ## Merge into `processed.transactions` (this run's version)
#
# A batch row replaces the live row of the same `transaction_id` (a later status); only
# the months holding new or replaced rows are rewritten, the others are shared.

# %%
merged = jobs.merge_table(
    ctx.lake,
    Zone.PROCESSED,
    "transactions",
    ctx.run_id,
    result.data,
    key="transaction_id",
    base_run=base_run,
)
etl = jobs.record_stage(ctx, "transactions", "etl", result, merged=merged)
jobs.accounting_frame([ingestion, etl])

# %%
print(f"{len(merged.rewritten)} partitions rewritten, {len(merged.shared)} shared")
jobs.versions_frame([merged.version])
