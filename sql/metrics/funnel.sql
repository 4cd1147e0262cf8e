-- question: Per day of the audit's window: sessions, converting sessions and the events of
-- question: each funnel step.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- tables: curated.daily_funnel
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
select
    f.date as day,
    sum(f.sessions) as sessions,
    sum(f.converting_sessions) as converting_sessions,
    sum(f.page_views) as page_views,
    sum(f.product_views) as product_views,
    sum(f.add_to_carts) as add_to_carts,
    sum(f.checkout_starts) as checkout_starts,
    sum(f.purchases) as purchases
from curated.daily_funnel as f
where f.date >= :first_day and f.date <= :last_day
group by f.date
