-- question: How far do sessions on each device get through the funnel (page view, product
-- question: view, add to cart, checkout, purchase) over the last N days?
-- param: days int = 30 [1, 3660] Window length in days, ending on current_date (included).
-- tables: curated.sessions
-- note: A session counts at a step when the deepest step it reached (funnel_depth) is that
-- note: step or a later one; a sampled session counts sample_weight times (once when the
-- note: clickstream is complete), as in daily_funnel. Rates in percent of all sessions.
with recent_sessions as (
    select
        device,
        funnel_depth,
        sample_weight
    from curated.sessions
    where
        session_month >= date_format(date_add('day', 1 - :days, current_date), '%Y-%m')
        and session_date >= date_add('day', 1 - :days, current_date)
        and session_date <= current_date
),

by_device as (
    select
        device,
        sum(sample_weight) as sessions,
        sum(case when funnel_depth >= 1 then sample_weight else 0 end) as page_views,
        sum(case when funnel_depth >= 2 then sample_weight else 0 end) as product_views,
        sum(case when funnel_depth >= 3 then sample_weight else 0 end) as add_to_carts,
        sum(case when funnel_depth >= 4 then sample_weight else 0 end) as checkouts,
        sum(case when funnel_depth >= 5 then sample_weight else 0 end) as purchases
    from recent_sessions
    group by device
)

select
    device,
    cast(round(sessions) as bigint) as sessions,
    cast(round(page_views) as bigint) as page_views,
    cast(round(product_views) as bigint) as product_views,
    cast(round(add_to_carts) as bigint) as add_to_carts,
    cast(round(checkouts) as bigint) as checkouts,
    cast(round(purchases) as bigint) as purchases,
    round(100.0 * product_views / nullif(sessions, 0), 2) as product_view_rate,
    round(100.0 * add_to_carts / nullif(sessions, 0), 2) as add_to_cart_rate,
    round(100.0 * checkouts / nullif(sessions, 0), 2) as checkout_rate,
    round(100.0 * purchases / nullif(sessions, 0), 2) as conversion_rate
from by_device
order by sessions desc, device asc
