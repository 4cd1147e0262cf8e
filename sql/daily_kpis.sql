-- question: Per day over the last N days: orders, customers, revenue, average order value,
-- question: units sold, returns and return rate.
-- param: days int = 90 [1, 3660] Window length in days, ending on current_date (included).
-- tables: curated.transactions
-- note: Mission definitions: every order line counts (revenue is gross bookings, all
-- note: statuses); returns are lines returned or refunded (schemas.RETURN_STATUSES, as
-- note: the audit counts them; the mission's own text counts 'returned' only);
-- note: return_rate in percent. days = 7 is current_date and the 6 days before it; the
-- note: mission's text (transaction_date >= current_date - 90) covers 91 days: days = 91.
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
        transaction_month >= date_format(date_add('day', 1 - :days, current_date), '%Y-%m')
        and transaction_date >= date_add('day', 1 - :days, current_date)
        and transaction_date <= current_date
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
