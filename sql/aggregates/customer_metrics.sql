-- question: What has each customer bought up to the run's date (first and last purchase,
-- question: orders, units, lifetime value, returns), and which RFM and value segment are they in?
-- param: as_of date = 2026-11-28 The day the metrics are for (jobs pass the run's as-of date).
-- tables: curated.transactions
-- note: The SELECT of curated.customer_metrics (Athena: CTAS ... as <this>). Only lines dated
-- note: on or before as_of count. Customers are those with a completed line; returns counts
-- note: their returned or refunded lines. Scores (5 = best) are 1 + floor(5 * worse / n),
-- note: worse = customers with a strictly worse value: ties share a score. Amounts are
-- note: summed as decimals (exact, in any order) and rounded half to even, as numpy does
-- note: (pipeline_lib.transform.customers is the reference the tests compare with).
with counted as (
    select
        t.transaction_id,
        t.customer_id,
        t.quantity,
        t.total_amount,
        t.transaction_date,
        t.status
    from curated.transactions as t
    where t.transaction_date <= :as_of
),

purchases as (
    select
        c.customer_id,
        min(c.transaction_date) as first_purchase,
        max(c.transaction_date) as last_purchase,
        count(distinct c.transaction_id) as total_orders,
        cast(sum(c.quantity) as bigint) as total_units,
        cast(
            sum(cast(coalesce(c.total_amount, 0) as decimal(38, 10))) as double
        ) as amount
    from counted as c
    where c.status = 'completed'
    group by c.customer_id
),

returned as (
    select
        c.customer_id,
        count(*) as returns
    from counted as c
    where c.status in ('returned', 'refunded')
    group by c.customer_id
),

scaled as (
    select
        p.customer_id,
        p.first_purchase,
        p.last_purchase,
        p.total_orders,
        p.total_units,
        p.amount * 100 as value_cents,
        p.amount / p.total_orders * 100 as order_cents,
        coalesce(r.returns, 0) as returns,
        date_diff('day', p.last_purchase, :as_of) as recency_days
    from purchases as p
    left join returned as r on p.customer_id = r.customer_id
),

rounded as (
    select
        customer_id,
        first_purchase,
        last_purchase,
        total_orders,
        total_units,
        returns,
        recency_days,
        (
            floor(value_cents) + case
                when value_cents - floor(value_cents) > 0.5 then 1
                when value_cents - floor(value_cents) = 0.5 and mod(floor(value_cents), 2) = 1
                    then 1
                else 0
            end
        ) / 100 as lifetime_value,
        (
            floor(order_cents) + case
                when order_cents - floor(order_cents) > 0.5 then 1
                when order_cents - floor(order_cents) = 0.5 and mod(floor(order_cents), 2) = 1
                    then 1
                else 0
            end
        ) / 100 as avg_order_value
    from scaled
),

ranked as (
    select
        customer_id,
        first_purchase,
        last_purchase,
        total_orders,
        total_units,
        lifetime_value,
        avg_order_value,
        returns,
        recency_days,
        count(*) over () as customers,
        rank() over (order by recency_days desc) - 1 as worse_recency,
        rank() over (order by total_orders asc) - 1 as worse_frequency,
        rank() over (order by lifetime_value asc) - 1 as worse_value
    from rounded
),

scored as (
    select
        customer_id,
        first_purchase,
        last_purchase,
        total_orders,
        total_units,
        lifetime_value,
        avg_order_value,
        returns,
        recency_days,
        cast(1 + floor(5 * cast(worse_recency as double) / customers) as bigint) as r_score,
        cast(1 + floor(5 * cast(worse_frequency as double) / customers) as bigint) as f_score,
        cast(1 + floor(5 * cast(worse_value as double) / customers) as bigint) as m_score
    from ranked
)

select
    customer_id,
    first_purchase,
    last_purchase,
    cast(total_orders as bigint) as total_orders,
    total_units,
    lifetime_value,
    avg_order_value,
    cast(returns as bigint) as returns,
    cast(recency_days as bigint) as recency_days,
    r_score,
    f_score,
    m_score,
    case
        when r_score >= 4 and f_score >= 4 and m_score >= 4 then 'Champions'
        when r_score >= 3 and f_score >= 4 then 'Loyal'
        when r_score >= 3 and f_score >= 2 then 'Potential Loyalist'
        when r_score >= 4 then 'New'
        when r_score <= 2 and f_score >= 3 then 'At Risk'
        when r_score >= 2 then 'Hibernating'
        else 'Lost'
    end as rfm_segment,
    case
        when lifetime_value >= 1000 then 'High Value'
        when lifetime_value >= 500 then 'Medium Value'
        else 'Low Value'
    end as value_segment
from scored
order by customer_id asc
