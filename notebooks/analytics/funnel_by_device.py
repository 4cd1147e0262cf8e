# %% [markdown]
# # The conversion funnel by device
#
# How far the sessions of each device get: page view, product view, add to cart, checkout,
# purchase (named query `funnel_by_device`). A session counts at a step when the deepest
# step it reached is that step or a later one. When the clickstream is sampled (its events
# carry a `sample_rate`), each kept session counts for the sessions it stands for.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # last day analysed, YYYY-MM-DD; empty: the live run's date
env = "local"  # whose params/<env>.yaml applies
days = 30  # the window: the days up to as_of

# %%
from pipeline_lib.analytics import display, funnel
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
by_device = analysis.query("funnel_by_device", days=days)
steps = funnel.funnel_steps(by_device)
display.header(analysis, "The conversion funnel by device", days=days)

# %% [markdown]
# ## What the data says

# %%
display.conclusions(funnel.conclusions(by_device, steps, days=days))

# %% [markdown]
# ## How far each device's sessions get
#
# The scale is logarithmic: a purchase is a few sessions in a hundred.

# %%
display.figure(funnel.funnel_figure(steps))

# %% [markdown]
# ## Step by step
#
# `% of sessions`: of all the device's sessions; `% of the step before`: of those that
# reached the previous step.

# %%
display.table(
    steps,
    formats={"sessions": "count", "share_of_sessions": "percent", "step_rate": "percent"},
    columns={"share_of_sessions": "% of sessions", "step_rate": "% of the step before"},
)

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
