-- question: How many customers does each RFM segment (Champions, Loyal, Potential Loyalist,
-- question: New, At Risk, Hibernating, Lost) hold, with what share of customers and of
-- question: lifetime value, average value, orders and days since the last purchase?
-- param: segment str = '' Only customers of this value segment, e.g. 'High Value' ('' = all).
-- tables: curated.customer_metrics
-- note: Reads the run's customer_metrics (RFM scores as of the run date; the segment rules
-- note: are in docs/PIPELINE_GUIDE.md). Shares in percent of the customers selected.
with customers as (
    select
        rfm_segment,
        lifetime_value,
        total_orders,
        recency_days
    from curated.customer_metrics
    where :segment = '' or value_segment = :segment
),

by_segment as (
    select
        rfm_segment,
        count(*) as customers,
        sum(lifetime_value) as lifetime_value,
        avg(lifetime_value) as avg_ltv,
        avg(total_orders) as avg_orders,
        avg(recency_days) as avg_recency_days
    from customers
    group by rfm_segment
)

select
    rfm_segment,
    customers,
    round(100.0 * customers / sum(customers) over (), 2) as customer_share,
    round(lifetime_value, 2) as lifetime_value,
    round(100.0 * lifetime_value / nullif(sum(lifetime_value) over (), 0), 2) as value_share,
    round(avg_ltv, 2) as avg_ltv,
    round(avg_orders, 2) as avg_orders,
    round(avg_recency_days, 1) as avg_recency_days
from by_segment
order by lifetime_value desc, rfm_segment asc
