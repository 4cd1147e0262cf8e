-- question: How many co-purchase pairs were seen in how many baskets, how many of them are
-- question: shown as recommendations, and how high does their lift go?
-- param: min_support float = 0.0001 [0, 1] Minimum share of all baskets holding the pair.
-- param: min_lift float = 1.0 [0, 1000000] Minimum lift (1 = bought together by chance).
-- tables: curated.product_affinity
-- note: One row per band of pair_count (baskets with both products): 1-4, 5-9, 10-24, 25-49,
-- note: 50-99, 100-249, 250-999, 1000 and more. pairs_shown pass the same thresholds as
-- note: product_recommendations. baskets is the number of all baskets (pair_count / support),
-- note: the same on every row. The highest lifts come from the pairs seen in few baskets.
with pairs as (
    select
        pair_count,
        support,
        lift,
        excess_baskets,
        case
            when pair_count < 5 then 1
            when pair_count < 10 then 5
            when pair_count < 25 then 10
            when pair_count < 50 then 25
            when pair_count < 100 then 50
            when pair_count < 250 then 100
            when pair_count < 1000 then 250
            else 1000
        end as band_start
    from curated.product_affinity
),

bands as (
    select
        band_start,
        count(*) as pairs,
        sum(case when support >= :min_support and lift >= :min_lift then 1 else 0 end)
            as pairs_shown,
        min(pair_count) as min_pair_count,
        max(pair_count) as max_pair_count,
        max(lift) as max_lift,
        max(excess_baskets) as max_excess_baskets,
        max(pair_count / support) as baskets
    from pairs
    group by band_start
)

select
    band_start,
    min_pair_count,
    max_pair_count,
    pairs,
    pairs_shown,
    max_lift,
    max_excess_baskets,
    cast(round(baskets) as bigint) as baskets
from bands
order by band_start asc
