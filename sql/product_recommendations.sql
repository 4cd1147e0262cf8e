-- question: Customers who bought X also bought Y: co-purchase pairs seen in enough baskets,
-- question: with support, confidence and lift, the most baskets beyond chance first.
-- param: product_id str = '' Only recommendations for this product ('' = every product).
-- param: min_support float = 0.0001 [0, 1] Minimum share of all baskets holding the pair.
-- param: min_lift float = 1.0 [0, 1000000] Minimum lift (1 = bought together by chance).
-- param: top_n int = 20 [1, 1000] Rows to return.
-- tables: curated.product_affinity, curated.products
-- note: A basket is one customer's completed lines of one day (the feeds have no order id).
-- note: support = pair_count / all baskets, so min_support asks for more baskets as the data
-- note: grows (0.0001: 52 baskets out of 511,374 on the 1M-line demo); the deployment's value
-- note: is analytics.recommendations.min_support in params/<env>.yaml. product_affinity
-- note: holds pairs of at least etl.affinity_min_pair_count baskets. Ranked by
-- note: excess_baskets (pair_count minus the baskets chance would give; never above
-- note: pair_count), so a pair seen in a few baskets cannot top the list by its lift.
with pairs as (
    select
        product_a,
        product_b,
        pair_count,
        support,
        confidence,
        lift,
        excess_baskets
    from curated.product_affinity
    where
        support >= :min_support
        and lift >= :min_lift
        and (:product_id = '' or product_a = :product_id)
),

named as (
    select
        r.product_a as product_id,
        a.name as product_name,
        r.product_b as recommended_product_id,
        b.name as recommended_product_name,
        b.category as recommended_category,
        r.pair_count,
        r.support,
        r.confidence,
        r.lift,
        r.excess_baskets,
        row_number() over (
            order by
                r.excess_baskets desc, r.confidence desc, r.product_a asc, r.product_b asc
        ) as strength_rank
    from pairs as r
    inner join curated.products as a on r.product_a = a.product_id
    inner join curated.products as b on r.product_b = b.product_id
)

select
    product_id,
    product_name,
    recommended_product_id,
    recommended_product_name,
    recommended_category,
    pair_count,
    support,
    confidence,
    lift,
    excess_baskets
from named
where strength_rank <= :top_n
order by strength_rank
