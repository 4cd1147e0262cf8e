-- question: How did visitors move through the funnel (page view, product view, add to
-- question: cart, checkout, purchase) on each of the last N days, with step rates in percent?
-- param: days int = 7 [1, 3660] Window length in days, ending on current_date (included).
-- tables: curated.daily_funnel
-- note: daily_funnel holds the event counts per UTC day as the mission's funnel query
-- note: counts them over curated.clickstream, so this reads a few KB instead of the whole
-- note: event fact; a sampled log's events count 1 / sample_rate times (once when complete).
-- note: Rates: ROUND(100 * step / previous step, 2), null on a 0 denominator. days = 7 is
-- note: current_date and the 6 days before it; the mission's text (timestamp >=
-- note: current_date - 7) covers 8 days, current_date included: days = 8.
with funnel_data as (
    select
        date,
        page_views,
        product_views,
        add_to_carts,
        checkout_starts,
        purchases
    from curated.daily_funnel
    where date >= date_add('day', 1 - :days, current_date) and date <= current_date
)

select
    date,
    page_views,
    product_views,
    round(100.0 * product_views / nullif(page_views, 0), 2) as view_to_product_rate,
    add_to_carts,
    round(100.0 * add_to_carts / nullif(product_views, 0), 2) as product_to_cart_rate,
    checkout_starts,
    round(100.0 * checkout_starts / nullif(add_to_carts, 0), 2) as cart_to_checkout_rate,
    purchases,
    round(100.0 * purchases / nullif(checkout_starts, 0), 2) as checkout_to_purchase_rate,
    round(100.0 * purchases / nullif(page_views, 0), 2) as overall_conversion_rate
from funnel_data
order by date desc
