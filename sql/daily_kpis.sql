-- question: Per day over the last N days: orders, customers, revenue, average order value,
-- question: units sold, returns and return rate.
-- param: days int = 90 [1, 3660] Look-back window in days, ending at current_date.
-- tables: curated.transactions
-- note: Mission definitions: every order line counts (revenue is gross bookings, all
-- note: statuses); returns are lines returned or refunded (schemas.RETURN_STATUSES, as
-- note: the audit counts them; the mission's own text counts 'returned' only);
-- note: return_rate in percent.
with recent_lines as (
    select
        transaction_date,
        transaction_id,
        customer_id,
        quantity,
        total_amount,
        status
    from curated.transactions
    where
        transaction_month >= date_format(date_add('day', -:days, current_date), '%Y-%m')
        and transaction_date >= date_add('day', -:days, current_date)
)

select
    date(transaction_date) as date,
    count(distinct transaction_id) as total_orders,
    count(distinct customer_id) as unique_customers,
    round(sum(total_amount), 2) as revenue,
    round(avg(total_amount), 2) as avg_order_value,
    sum(quantity) as units_sold,
    count(distinct case when status in ('returned', 'refunded') then transaction_id end)
        as returns,
    round(
        100.0
        * count(distinct case when status in ('returned', 'refunded') then transaction_id end)
        / count(distinct transaction_id),
        2
    ) as return_rate
from recent_lines
group by date(transaction_date)
order by date desc
