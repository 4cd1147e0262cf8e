# %% [markdown]
# # Revenue trends and seasonality
#
# How completed revenue moves day by day and month by month, which weekdays sell most, and
# whether the last four weeks grew on the four before. Revenue counts *completed* lines
# only (named query `revenue_trend`); the newest days are still settling, because most of
# their lines are pending until they ship, so comparisons leave them out.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # last day analysed, YYYY-MM-DD; empty: the live run's date
env = "local"  # whose params/<env>.yaml applies
days = 180  # the window: the days up to as_of
settle_days = 7  # the newest days, whose lines may still be pending: left out of comparisons

# %%
from pipeline_lib.analytics import display, trends
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
daily = trends.daily_revenue(
    analysis.query("revenue_trend", days=days, grain="day"),
    as_of=analysis.as_of,
    days=days,
    settle_days=settle_days,
)
monthly = trends.monthly_revenue(
    analysis.query("revenue_trend", days=days, grain="month"), as_of=analysis.as_of, days=days
)
weekdays = trends.weekday_profile(daily)
growth = trends.period_growth(daily, as_of=analysis.as_of, settle_days=settle_days)
display.header(analysis, "Revenue trends and seasonality", days=days, settle_days=settle_days)

# %% [markdown]
# ## What the data says

# %%
display.conclusions(trends.conclusions(daily, weekdays, growth, settle_days=settle_days))

# %% [markdown]
# ## Revenue per day
#
# Bars are each day's completed revenue, the line its 7-day average (weekly seasonality
# smoothed out); the shaded days are still settling.

# %%
display.figure(trends.revenue_figure(daily))

# %% [markdown]
# ## Weekly seasonality
#
# Mean revenue of each weekday over the settled days, against the average day.

# %%
display.figure(trends.weekday_figure(weekdays))

# %% [markdown]
# ## Revenue per month
#
# Months the window cuts (its first, and the current one) are lighter: they are partial.

# %%
display.figure(trends.monthly_figure(monthly))

# %%
display.table(
    monthly,
    formats={"month": "date", "orders": "count", "revenue": "money", "partial": "text"},
)

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
