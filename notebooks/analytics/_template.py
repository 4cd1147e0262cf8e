# %% [markdown]
# # Template: a new business question
#
# Copy this file to `notebooks/analytics/<question>.py` (a name without a leading `_`
# becomes a report after every publish) and replace this text with the question, the
# tables it reads and how to read the answer. Keep the notebook thin: parameters, named
# queries (`sql/`, add one for a new question), figures and conclusions from
# `pipeline_lib.analytics`. Conclusions are computed from the data: never type a number
# into the text. The README's "Analytics notebooks" section says how to run and publish it.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # last day analysed, YYYY-MM-DD; empty: the live run's date
env = "local"  # whose params/<env>.yaml applies
days = 30  # the window: the days up to as_of

# %%
from pipeline_lib.analytics import display
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
categories = analysis.query("revenue_by_category", days=days)
display.header(analysis, "Template: revenue by category", days=days)

# %% [markdown]
# ## What the data says
#
# Sentences built from the query's rows (display escapes them). Put the logic of a real
# question in a function of `pipeline_lib/analytics/` with a unit test.

# %%
display.conclusions(
    [
        f"{len(categories)} categories sold in the last {days} days, "
        f"{display.money(categories['revenue'].sum())} in all."
    ]
    if not categories.empty
    else []
)

# %% [markdown]
# ## The answer

# %%
display.table(categories, formats={"revenue": "money", "revenue_share": "percent"})

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
