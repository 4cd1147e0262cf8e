# %% [markdown]
# # Top products by category
#
# Which categories earn the completed revenue of the last days, and which products lead
# within each of them (named queries `revenue_by_category` and `top_products`). Revenue
# counts completed lines; a product's share is its part of its category's revenue.

# %% tags=["parameters"]
lake = "lake"  # the lake folder
as_of = ""  # last day analysed, YYYY-MM-DD; empty: the live run's date
env = "local"  # whose params/<env>.yaml applies
days = 30  # the window: the days up to as_of
category = ""  # only this category; empty: every category
top_n = 10  # products shown per category

# %%
from pipeline_lib.analytics import display, products
from pipeline_lib.analytics.data import open_analysis

analysis = open_analysis(lake, as_of=as_of, env=env)
categories = analysis.query("revenue_by_category", days=days)
top = products.top_by_category(
    analysis.query, categories, days=days, top_n=top_n, category=category
)
display.header(analysis, "Top products by category", days=days, category=category, top_n=top_n)

# %% [markdown]
# ## What the data says

# %%
display.conclusions(products.conclusions(categories, top, days=days))

# %% [markdown]
# ## Revenue per category

# %%
display.figure(products.category_figure(categories))

# %% [markdown]
# ## The top products of each category
#
# Each rectangle is a product, inside its category; its area is its revenue.

# %%
display.figure(products.top_products_figure(top))

# %%
display.table(
    top,
    formats={
        "rank": "count",
        "total_quantity": "count",
        "total_revenue": "money",
        "unique_customers": "count",
        "category_share": "percent",
    },
    columns={
        "total_quantity": "units",
        "total_revenue": "revenue",
        "unique_customers": "customers",
        "category_share": "% of category",
    },
)

# %% [markdown]
# ## Where these numbers come from

# %%
display.provenance(analysis)
