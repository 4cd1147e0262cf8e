-- question: Per day of the audit's window: the median unit price against the same products'
-- question: median over the baseline days, and against the catalog price, in percent.
-- param: first_day date = 1900-01-01 First day of the window (and of the baseline).
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- param: first_month str = '1900-01' Month partition of first_day (YYYY-MM), for pruning.
-- param: baseline_last date = 2999-12-31 Last day of the baseline (before the checked days).
-- tables: curated.transactions, curated.products
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
-- note: approx_percentile(x, 0.5) is Athena's median; on DuckDB the loader runs the exact
-- note: median(x) instead.
with reference as (
    select
        r.product_id,
        approx_percentile(r.price, 0.5) as reference_price
    from curated.transactions as r
    where
        r.transaction_month >= :first_month
        and r.transaction_date >= :first_day
        and r.transaction_date <= :baseline_last
        and r.price > 0
    group by r.product_id
),

lines as (
    select
        t.transaction_date as day,
        t.price / nullif(ref.reference_price, 0) as to_reference,
        t.price / nullif(p.price, 0) as to_catalog
    from curated.transactions as t
    left join reference as ref on t.product_id = ref.product_id
    left join curated.products as p on t.product_id = p.product_id
    where
        t.transaction_month >= :first_month
        and t.transaction_date >= :first_day
        and t.transaction_date <= :last_day
)

select
    day,
    100.0 * approx_percentile(to_reference, 0.5) as price_index,
    100.0 * approx_percentile(to_catalog, 0.5) as catalog_price_ratio
from lines
group by day
