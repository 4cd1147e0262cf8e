"""Analytics notebooks: the business questions as parameterized notebooks and HTML reports.

``notebooks/analytics/`` holds one Jupytext notebook per question (revenue trends, top
products by category, customers, the funnel by device, product recommendations); each is
thin: a ``parameters`` cell, named queries through :mod:`pipeline_lib.analytics.data`,
figures from the topic modules, and conclusions computed from the data.

========================  ==============================================================
module                    what it holds
========================  ==============================================================
``settings``              the ``analytics:`` section of ``params/<env>.yaml``
``data``                  :class:`~pipeline_lib.analytics.data.Analysis`: named queries
                          on the live tables, as DataFrames
``trends``                revenue per day and month, weekday seasonality, growth
``products``              category revenue and the top products within each category
``customers``             value and RFM segments, cohort retention
``funnel``                the conversion funnel by device
``recommendations``       co-purchase pairs, what a basket is, the support threshold
``display``               figures, tables and conclusions as escaped, offline HTML
``reports``               papermill + nbconvert: ``reports/analytics/<date>/``, indexes
========================  ==============================================================

Import from the modules themselves: importing this package loads nothing else, so that
reading the settings (every command does) does not load plotly or papermill.
"""
