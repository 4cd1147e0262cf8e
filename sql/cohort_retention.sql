-- question: Of the customers whose first completed purchase fell in each of the last N
-- question: calendar months, how many bought again in each month after it?
-- param: months int = 12 [1, 60] Cohorts of the last N calendar months, the current one included.
-- tables: curated.customer_metrics, curated.transactions
-- note: A cohort is the month of a customer's first completed line (customer_metrics, all
-- note: history); month_number 0 is that month (retention 100%), 1 the next one, and so on.
-- note: A customer counts as retained in a month with at least one completed line in it.
-- note: The current month is partial: its retention is still growing.
with bounds as (
    select cast(date_trunc('month', date_add('month', 1 - :months, current_date)) as date)
        as first_month
),

cohorts as (
    select
        m.customer_id,
        cast(date_trunc('month', m.first_purchase) as date) as cohort_month
    from curated.customer_metrics as m
    cross join bounds as b
    where m.first_purchase >= b.first_month
),

activity as (
    select distinct
        t.customer_id,
        cast(date_trunc('month', t.transaction_date) as date) as active_month
    from curated.transactions as t
    where
        t.transaction_month >= date_format(date_add('month', 1 - :months, current_date), '%Y-%m')
        and t.transaction_date >= date_trunc('month', date_add('month', 1 - :months, current_date))
        and t.transaction_date <= current_date
        and t.status = 'completed'
),

sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from cohorts
    group by cohort_month
),

retained as (
    select
        c.cohort_month,
        date_diff('month', c.cohort_month, a.active_month) as month_number,
        count(distinct c.customer_id) as customers
    from cohorts as c
    inner join activity as a on c.customer_id = a.customer_id
    where a.active_month >= c.cohort_month
    group by c.cohort_month, date_diff('month', c.cohort_month, a.active_month)
)

select
    r.cohort_month,
    r.month_number,
    s.cohort_size,
    r.customers,
    round(100.0 * r.customers / s.cohort_size, 2) as retention_rate
from retained as r
inner join sizes as s on r.cohort_month = s.cohort_month
order by r.cohort_month asc, r.month_number asc
