# %% [markdown]
# # Product recommendations: bought together
#
# "Customers who bought X also bought Y", from the baskets of the shop. **A basket is the
# set of distinct products one customer bought in completed lines on one day**: the feeds
# carry no order id, so two orders of one customer on the same day are one basket, and a
# product bought twice in it counts once.
#
# For a pair X -> Y: **support** is the share of all baskets holding both; **confidence**
# the share of baskets with X that also hold Y; **lift** how many times more often Y is in
# a basket with X than in any basket (1 = chance); **excess baskets** the baskets with both
# beyond what chance would give. A pair is shown only when its support reaches a minimum
# (`analytics.recommendations.min_support` in `params/<env>.yaml`), so the number of
# baskets it needs grows with the data, and pairs are ranked by excess baskets: a pair of
# two rare products seen in three baskets can have a huge lift by rarity alone, but never
# more than three excess baskets. Named queries `co_purchase_bands` and
# `product_recommendations`.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # the day of the data (recommendations cover all history); empty: the live run
env = "local"  # whose params/<env>.yaml applies (the thresholds)
product_id = ""  # only recommendations for this product; empty: every product
top_n = 20  # pairs shown
min_support = None  # share of baskets a pair needs, e.g. 0.0005; None: the deployment's
min_lift = None  # lift a pair needs; None: the deployment's

# %%
from pipeline_lib.analytics import display, recommendations
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
thresholds = recommendations.thresholds(
    analysis.analytics, min_support=min_support, min_lift=min_lift
)
bands = analysis.query("co_purchase_bands", **thresholds)
pairs = analysis.query("product_recommendations", product_id=product_id, top_n=top_n, **thresholds)
evidence = recommendations.evidence(bands, **thresholds)
display.header(
    analysis, "Product recommendations", product_id=product_id, top_n=top_n, **thresholds
)

# %% [markdown]
# ## What the data says

# %%
display.conclusions(recommendations.conclusions(evidence, pairs, bands))

# %% [markdown]
# ## The recommendations
#
# Strongest first (most baskets beyond chance). Support and confidence are shares of
# baskets; lift is a ratio to chance.

# %%
display.table(
    recommendations.pairs_frame(pairs),
    formats=recommendations.PAIR_FORMATS,
    empty="No pair passes the thresholds",
)

# %%
display.figure(recommendations.pairs_figure(pairs))

# %% [markdown]
# ## Why a minimum support
#
# Every pair the pipeline keeps, by the number of baskets behind it. The highest lifts sit
# in the bands with the fewest baskets: there, one or two baskets more or less change the
# lift a lot.

# %%
display.figure(recommendations.bands_figure(bands, evidence))

# %%
display.table(recommendations.bands_frame(bands), formats=recommendations.BAND_FORMATS)

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
