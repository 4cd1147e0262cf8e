-- question: Headline KPIs of the last N days (completed revenue, orders, average order
-- question: value, session conversion rate), each with its change in percent against the
-- question: N days before.
-- param: days int = 30 [1, 1830] Period length in days, ending on current_date (included).
-- tables: curated.transactions, curated.daily_funnel
-- note: Current period: current_date and the days - 1 days before it; previous period: as
-- note: many days before that. *_change = 100 * (current - previous) / previous, 2 decimals,
-- note: null when the previous value is 0. conversion_rate = converting sessions / sessions,
-- note: each session counted sample_weight times (once unless the clickstream is sampled).
with bounds as (
    select
        date_add('day', 1 - :days, current_date) as current_start,
        date_add('day', 1 - 2 * :days, current_date) as previous_start
),

lines as (
    select
        t.transaction_id,
        t.total_amount,
        case when t.transaction_date >= b.current_start then 'current' else 'previous' end
            as period
    from curated.transactions as t
    cross join bounds as b
    where
        t.transaction_month >= date_format(date_add('day', 1 - 2 * :days, current_date), '%Y-%m')
        and t.transaction_date >= date_add('day', 1 - 2 * :days, current_date)
        and t.transaction_date <= current_date
        and t.status = 'completed'
),

sales as (
    select
        sum(case when period = 'current' then total_amount else 0 end) as revenue_cur,
        sum(case when period = 'previous' then total_amount else 0 end) as revenue_prev,
        count(distinct case when period = 'current' then transaction_id end) as orders_cur,
        count(distinct case when period = 'previous' then transaction_id end) as orders_prev
    from lines
),

visits as (
    select
        sum(case when f.date >= b.current_start then f.sessions else 0 end) as sessions_cur,
        sum(case when f.date < b.current_start then f.sessions else 0 end) as sessions_prev,
        sum(case when f.date >= b.current_start then f.converting_sessions else 0 end)
            as converting_cur,
        sum(case when f.date < b.current_start then f.converting_sessions else 0 end)
            as converting_prev
    from curated.daily_funnel as f
    cross join bounds as b
    where f.date >= b.previous_start and f.date <= current_date
),

kpis as (
    select
        coalesce(s.revenue_cur, 0) as revenue_cur,
        coalesce(s.revenue_prev, 0) as revenue_prev,
        s.orders_cur,
        s.orders_prev,
        s.revenue_cur / nullif(s.orders_cur, 0) as aov_cur,
        s.revenue_prev / nullif(s.orders_prev, 0) as aov_prev,
        100.0 * v.converting_cur / nullif(v.sessions_cur, 0) as conversion_cur,
        100.0 * v.converting_prev / nullif(v.sessions_prev, 0) as conversion_prev
    from sales as s
    cross join visits as v
)

select
    round(revenue_cur, 2) as total_revenue,
    round(100.0 * (revenue_cur - revenue_prev) / nullif(revenue_prev, 0), 2)
        as total_revenue_change,
    orders_cur as total_orders,
    round(100.0 * (orders_cur - orders_prev) / nullif(orders_prev, 0), 2) as total_orders_change,
    round(aov_cur, 2) as avg_order_value,
    round(100.0 * (aov_cur - aov_prev) / nullif(aov_prev, 0), 2) as avg_order_value_change,
    round(conversion_cur, 2) as conversion_rate,
    round(100.0 * (conversion_cur - conversion_prev) / nullif(conversion_prev, 0), 2)
        as conversion_rate_change
from kpis
