-- question: How does completed revenue trend per day or per month over the last N days?
-- param: days int = 90 [1, 3660] Window length in days, ending on current_date (included).
-- param: grain str = 'day' {day, month} Period: day or month (cut at the window start).
-- tables: curated.transactions
-- note: revenue_change is the percent change against the previous period (null for the
-- note: first one); cumulative_revenue runs over the window.
with recent_sales as (
    select
        transaction_id,
        cast(
            case
                when :grain = 'month' then date_trunc('month', transaction_date)
                else transaction_date
            end as date
        ) as period,
        quantity,
        total_amount
    from curated.transactions
    where
        transaction_month >= date_format(date_add('day', 1 - :days, current_date), '%Y-%m')
        and transaction_date >= date_add('day', 1 - :days, current_date)
        and transaction_date <= current_date
        and status = 'completed'
),

by_period as (
    select
        period,
        count(distinct transaction_id) as orders,
        sum(quantity) as units_sold,
        round(sum(total_amount), 2) as revenue
    from recent_sales
    group by period
)

select
    period,
    orders,
    units_sold,
    revenue,
    round(revenue / nullif(orders, 0), 2) as avg_order_value,
    round(
        100.0 * (revenue - lag(revenue) over (order by period))
        / nullif(lag(revenue) over (order by period), 0),
        2
    ) as revenue_change,
    round(
        sum(revenue) over (order by period rows between unbounded preceding and current row), 2
    ) as cumulative_revenue
from by_period
order by period
