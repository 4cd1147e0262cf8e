-- question: How many customers are High (lifetime value >= 1000), Medium (>= 500) or Low
-- question: Value, and what are their average lifetime value, orders and order value?
-- tables: curated.customer_metrics
-- note: Reads the run's customer_metrics (one row per customer with a completed line,
-- note: lifetime_value = sum of completed total_amount), so it scans no fact table; the
-- note: mission's customer_ltv query over curated.transactions gives the same answer.
with customers as (
    select
        value_segment,
        lifetime_value,
        total_orders,
        avg_order_value
    from curated.customer_metrics
)

select
    value_segment as customer_segment,
    count(*) as customer_count,
    avg(lifetime_value) as avg_ltv,
    avg(total_orders) as avg_orders,
    avg(avg_order_value) as avg_order_value
from customers
group by value_segment
order by avg_ltv desc
