-- question: Per day of the audit's window: completed revenue and orders, bookings, order
-- question: lines, units, buying customers, and returned, refunded and cancelled lines.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- param: first_month str = '1900-01' Month partition of first_day (YYYY-MM), for pruning.
-- tables: curated.transactions
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
-- note: Returns are the lines of schemas.RETURN_STATUSES; refunds and cancellations have
-- note: their own rates.
select
    t.transaction_date as day,
    sum(case when t.status = 'completed' then t.total_amount else 0 end) as revenue,
    count(distinct case when t.status = 'completed' then t.transaction_id end) as orders,
    sum(t.total_amount) as bookings,
    count(*) as order_lines,
    sum(t.quantity) as units,
    count(distinct t.customer_id) as customers,
    sum(case when t.status in ('returned', 'refunded') then 1 else 0 end) as returned_lines,
    sum(case when t.status = 'refunded' then 1 else 0 end) as refunded_lines,
    sum(case when t.status = 'cancelled' then 1 else 0 end) as cancelled_lines
from curated.transactions as t
where
    t.transaction_month >= :first_month
    and t.transaction_date >= :first_day
    and t.transaction_date <= :last_day
group by t.transaction_date
