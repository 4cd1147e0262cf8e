# %% [markdown]
# # Clickstream aggregation
#
# Cleans the website events, sessionizes them (a gap of more than `session_gap_minutes`
# of inactivity per visitor starts a new session; the source `session_id` is kept too),
# and aggregates sessions with their funnel depth and the daily conversion funnel
# page_view -> product_view -> add_to_cart -> checkout_start -> purchase.

# %% tags=["parameters"]
lake = "lake"
run_id = "manual"
as_of = ""
env = "local"
session_gap_minutes = 30

# %%
from pipeline_lib import jobs
from pipeline_lib.storage import Zone
from pipeline_lib.transform import (
    build_sessions,
    clean_clickstream,
    daily_funnel,
    sessionize_with_codes,
)

ctx = jobs.JobContext.create(lake, run_id, as_of, env)

# %%
source = jobs.read_validated(ctx, "clickstream")
ingestion = jobs.ingestion_accounting(source)
jobs.save_accounting(ctx, ingestion)

# %%
result = clean_clickstream(source.frame, domains=ctx.domains())
etl = jobs.record_stage(ctx, "clickstream", "etl", result)

# %% [markdown]
# ## Sessions and the daily funnel

# %%
# The session codes and the sessions frame are handed on so nothing is computed twice.
events, session_codes = sessionize_with_codes(result.data, gap_minutes=session_gap_minutes)
sessions = build_sessions(events, session_codes=session_codes)
funnel = daily_funnel(events, sessions=sessions)
versions = [
    jobs.write_table(ctx.lake, Zone.PROCESSED, "clickstream", ctx.run_id, events),
    jobs.write_table(ctx.lake, Zone.PROCESSED, "sessions", ctx.run_id, sessions),
    jobs.write_table(ctx.lake, Zone.PROCESSED, "daily_funnel", ctx.run_id, funnel),
]
jobs.accounting_frame([ingestion, etl])

# %%
jobs.versions_frame(versions)

# %%
funnel.tail(7)
