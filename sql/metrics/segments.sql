-- question: Per day, category and status of the audit's window: completed revenue,
-- question: bookings and order lines.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- param: first_month str = '1900-01' Month partition of first_day (YYYY-MM), for pruning.
-- param: no_category str = '(no category)' Category of a line whose product has none.
-- tables: curated.transactions
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
select
    t.transaction_date as day,
    coalesce(t.category, :no_category) as category,
    t.status,
    sum(case when t.status = 'completed' then t.total_amount else 0 end) as revenue,
    sum(t.total_amount) as bookings,
    count(*) as lines
from curated.transactions as t
where
    t.transaction_month >= :first_month
    and t.transaction_date >= :first_day
    and t.transaction_date <= :last_day
group by t.transaction_date, coalesce(t.category, :no_category), t.status
