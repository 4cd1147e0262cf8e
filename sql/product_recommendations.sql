-- question: Customers who bought X also bought Y: the strongest co-purchase pairs by lift,
-- question: with product names.
-- param: product_id str = '' Only recommendations for this product ('' = every product).
-- param: min_lift float = 1.0 [0, 1000000] Minimum lift (1 = bought together by chance).
-- param: top_n int = 20 [1, 1000] Rows to return.
-- tables: curated.product_affinity, curated.products
-- note: Baskets are a customer's completed lines of one day; pairs seen in fewer than
-- note: affinity_min_pair_count baskets are not in product_affinity (see PIPELINE_GUIDE.md).
with pairs as (
    select
        product_a,
        product_b,
        pair_count,
        support,
        confidence,
        lift
    from curated.product_affinity
    where lift >= :min_lift and (:product_id = '' or product_a = :product_id)
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
        row_number() over (
            order by r.lift desc, r.pair_count desc, r.product_a asc, r.product_b asc
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
    lift
from named
where strength_rank <= :top_n
order by strength_rank
