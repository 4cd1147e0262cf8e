# %% [markdown]
# # Transaction ETL
#
# Cleans the transactions feed for one run, following the mission's steps:
# parse the files and convert dates (done at ingestion, into typed Parquet copies), handle
# nulls, derive `total_amount` where it is missing, add the processing date, reject invalid
# lines with a reason, keep the latest record per `transaction_id`, and write Parquet
# partitioned by month. The catalog is updated when the run publishes.

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
# ## Read every accepted file, in arrival order

# %%
source = jobs.read_validated(ctx, "transactions")
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)
print(f"{source.files} files, {len(source.frame):,} typed rows")

# %% [markdown]
# ## Clean, derive, reject, deduplicate

# %%
result = clean_transactions(source.frame, processing_date=ctx.as_of, domains=ctx.domains())
etl = jobs.record_stage(ctx, "transactions", "etl", result)

# %% [markdown]
# ## Write `processed.transactions` (this run's version)

# %%
version = jobs.write_table(ctx.lake, Zone.PROCESSED, "transactions", ctx.run_id, result.data)
jobs.accounting_frame([ingestion, etl])

# %%
jobs.versions_frame([version])
