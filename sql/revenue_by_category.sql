-- question: How much revenue did each category earn from completed sales in the last N
-- question: days, and what share of the total is that?
-- param: days int = 30 [1, 3660] Window length in days, ending on current_date (included).
-- tables: curated.transactions
with recent_sales as (
    select
        category,
        transaction_id,
        customer_id,
        quantity,
        total_amount
    from curated.transactions
    where
        transaction_month >= date_format(date_add('day', 1 - :days, current_date), '%Y-%m')
        and transaction_date >= date_add('day', 1 - :days, current_date)
        and transaction_date <= current_date
        and status = 'completed'
),

by_category as (
    select
        category,
        count(distinct transaction_id) as orders,
        count(distinct customer_id) as unique_customers,
        sum(quantity) as units_sold,
        round(sum(total_amount), 2) as revenue
    from recent_sales
    group by category
)

select
    category,
    orders,
    unique_customers,
    units_sold,
    revenue,
    round(revenue / nullif(orders, 0), 2) as avg_order_value,
    round(100.0 * revenue / nullif(sum(revenue) over (), 0), 2) as revenue_share
from by_category
order by revenue desc, category asc
