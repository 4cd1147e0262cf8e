# %% [markdown]
# # Data quality
#
# Audits the lake's tables for one run with the rules of `params/<env>.yaml` (`quality:`)
# and the anomaly detection of every published metric (`anomalies:`), saves the outcome as
# `_meta/runs/<run_id>/quality.json`, and shows it: the pass/warn/fail status, every
# finding explained (what moved, by how much, against which history, where to look next)
# with a small chart, the metrics and segments too small to judge, each metric's history
# against its expected band, null rates, reject reasons, the row reconciliation of every
# dataset and stage, and every rule outcome and anomaly. The pipeline renders the executed
# copy, without its code, to `reports/quality/<as_of>/index.html`.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
run_id = "manual"  # names the report; with staged, also the run whose tables are audited
as_of = ""  # the run's logical date, YYYY-MM-DD; empty means today (UTC)
env = "local"  # whose params/<env>.yaml rules apply
staged = False  # True: the run's staged (unpublished) versions; False: the live tables

# %%
from pipeline_lib import jobs
from pipeline_lib.config import load_settings
from pipeline_lib.quality import charts, live_runner, staged_runner
from pipeline_lib.quality.anomalies import read_metric_history
from pipeline_lib.quality.audit import live_inputs, run_quality, save_report
from pipeline_lib.quality.settings import quality_settings

ctx = jobs.JobContext.create(lake, run_id, as_of, env)
if staged:  # the run's own versions and row accounting
    versions = jobs.load_versions(ctx.lake, ctx.run_id)
    accounting = jobs.load_accounting(ctx.lake, ctx.run_id)
    runner = staged_runner(ctx.lake, versions)
else:  # the live versions and the accounting of the runs that published them
    versions, accounting = live_inputs(ctx.lake)
    runner = live_runner(ctx.lake)

# %% [markdown]
# ## Status

# %%
try:
    report = run_quality(
        runner,
        lake=ctx.lake,
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        versions=versions,
        accounting=accounting,
        settings=quality_settings(load_settings(env=env, lake=lake)),
    )
finally:
    runner.close()
saved = save_report(ctx.lake, report)
charts.banner(report)

# %% [markdown]
# ## Findings
#
# Each failed or warned rule and each anomaly: what moved and by how much, the range the
# history gave and which history, where to look next. The chart shows the baseline points,
# the expected range (band) and the observed value (an arrow when it is off the chart);
# for a rule, its observed value against the threshold (the tick).

# %%
charts.findings(report)

# %% [markdown]
# ## Not judged
#
# Metrics and segments whose volume is below their floor (`anomalies.min_value`), or that
# have too little history yet: small segments are not judged rather than raising noise.

# %%
charts.table(charts.unjudged_frame(report), empty="Every metric was judged")

# %% [markdown]
# ## Key metrics over time
#
# Each metric's daily value; the shaded band (or the bar at a flagged day) is the range the
# detector expected, and an × marks an anomaly. Hover for its explanation.

# %%
# Every kept snapshot; the chart keeps the latest value per day.
charts.offline(charts.history_figure(read_metric_history(ctx.lake), report.anomalies))

# %% [markdown]
# ## Null rates
#
# The null checks' observed rate per table and column, coloured by outcome; the tick is
# the rule's threshold.

# %%
charts.offline(charts.null_rates_figure(report.rules))

# %% [markdown]
# ## Rejected rows by reason

# %%
charts.offline(charts.reject_reasons_figure(accounting))

# %% [markdown]
# ## Row reconciliation
#
# Per dataset and stage: rows in = rows out + rejected + duplicates removed.

# %%
charts.offline(charts.reconciliation_figure(accounting))

# %% [markdown]
# ## Every rule outcome

# %%
charts.table(charts.rules_frame(report), empty="No rules were evaluated")

# %% [markdown]
# ## Every anomaly

# %%
charts.table(charts.anomalies_frame(report), empty="No anomalies")
