# %% [markdown]
# # Customer lifetime value, RFM segments and cohort retention
#
# Who the valuable customers are and whether new customers come back. Lifetime value is
# the sum of a customer's completed lines; the RFM segments score recency, frequency and
# monetary value as of the run date (rules in docs/PIPELINE_GUIDE.md). A cohort is the
# month of a customer's first completed purchase; its retention in a later month is the
# share of its customers who bought again in that month. Named queries `customer_ltv`,
# `rfm_segments` and `cohort_retention`.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # last day analysed, YYYY-MM-DD; empty: the live run's date
env = "local"  # whose params/<env>.yaml applies
segment = ""  # RFM segments of one value segment only, e.g. "High Value"; empty: everyone
months = 12  # cohorts: first purchases in the last N calendar months

# %%
from pipeline_lib.analytics import customers, display
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
value_segments = analysis.query("customer_ltv")
rfm = analysis.query("rfm_segments", segment=segment)
retention = customers.retention_matrix(
    analysis.query("cohort_retention", months=months), as_of=analysis.as_of
)
display.header(analysis, "Customer lifetime value and retention", segment=segment, months=months)

# %% [markdown]
# ## What the data says

# %%
display.conclusions(customers.conclusions(rfm, value_segments, retention, as_of=analysis.as_of))

# %% [markdown]
# ## Value segments

# %%
display.table(
    value_segments,
    formats={
        "customer_count": "count",
        "avg_ltv": "money",
        "avg_orders": "number",
        "avg_order_value": "money",
    },
    columns={
        "customer_segment": "segment",
        "customer_count": "customers",
        "avg_ltv": "avg lifetime value",
        "avg_orders": "avg orders",
    },
)

# %% [markdown]
# ## RFM segments
#
# A segment holding a bigger share of lifetime value than of customers is worth more than
# its size.

# %%
display.figure(customers.segments_figure(rfm))

# %%
display.table(
    rfm,
    formats={
        "customers": "count",
        "customer_share": "percent",
        "lifetime_value": "money",
        "value_share": "percent",
        "avg_ltv": "money",
        "avg_recency_days": "number",
    },
    columns={
        "rfm_segment": "segment",
        "customer_share": "% of customers",
        "lifetime_value": "lifetime value",
        "value_share": "% of value",
        "avg_ltv": "avg lifetime value",
        "avg_orders": "avg orders",
        "avg_recency_days": "avg days since last purchase",
    },
)

# %% [markdown]
# ## Cohort retention
#
# Each row is a cohort (its customers in brackets), each column a month after the first
# purchase. The current month is still running: its column will grow.

# %%
display.figure(customers.retention_figure(retention))

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
