# %% [markdown]
# # Clickstream aggregation
#
# Cleans the website events, sessionizes them (a gap of more than `session_gap_minutes`
# of inactivity per visitor starts a new session; the source `session_id` is kept too),
# and aggregates sessions with their funnel depth and the daily conversion funnel
# page_view -> product_view -> add_to_cart -> checkout_start -> purchase. A daily run
# reads only the files that arrived (docs/adr/0002-incremental-runs.md).

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"
session_gap_minutes = 30

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import clean_clickstream

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %% [markdown]
# ## Read the files that arrived since the live version
#
# A full refresh (`ecom-pipeline run --full-refresh`, or no published version yet) reads
# every accepted file instead.

# %%
base_run = jobs.base_run(ctx, "clickstream")
source = jobs.read_validated(ctx, "clickstream", batch_only=True)
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)
print(
    f"{source.files} new files, {len(source.frame):,} typed events; merging into "
    f"{'version ' + base_run if base_run else 'nothing (full build)'}"
)

# %%
result = clean_clickstream(source.frame, domains=ctx.domains())

# %% [markdown]
# ## Sessions and the daily funnel
#
# The whole history of every visitor the new events belong to is sessionized again, so a
# visit that crossed midnight, or a late event, comes out as in a run over every file;
# only the events and sessions that changed are written, and the funnel of the days they
# touch is recomputed.

# %%
merged = jobs.merge_clickstream(
    ctx.lake, ctx.run_id, result.data, base_run=base_run, gap_minutes=session_gap_minutes
)
etl = jobs.record_stage(ctx, "clickstream", "etl", result, merged=merged.events)
jobs.accounting_frame([ingestion, etl])

# %%
print(f"{merged.actors:,} visitors re-sessionized; funnel recomputed for {merged.days} days")
jobs.versions_frame([merged.events.version, merged.sessions.version, merged.funnel.version])

# %%
jobs.read_table(ctx.lake, Zone.PROCESSED, "daily_funnel", ctx.run_id).tail(7)
