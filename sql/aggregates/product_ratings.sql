-- question: How many reviews does each reviewed product have, with what mean rating and what
-- question: Bayesian rating (a product with few reviews pulled towards the global mean)?
-- param: rating_prior_weight float = 10.0 [0, 1000000] Global-mean reviews a product starts with.
-- tables: curated.reviews
-- note: The SELECT of curated.product_ratings (Athena: CTAS ... as <this>). bayesian_rating =
-- note: (rating_prior_weight * global mean + sum of ratings) / (rating_prior_weight +
-- note: review_count). Ratings are integers: sums are exact in any order. Both ratings are
-- note: rounded to 4 decimals half to even, as numpy does (pipeline_lib.transform.reviews
-- note: is the reference the tests compare with).
with ratings as (
    select
        r.product_id,
        r.rating
    from curated.reviews as r
    where r.product_id is not null
),

overall as (
    select cast(sum(rating) as double) / nullif(count(*), 0) as global_mean
    from ratings
),

per_product as (
    select
        product_id,
        count(*) as review_count,
        cast(sum(rating) as double) as rating_sum
    from ratings
    group by product_id
),

scaled as (
    select
        p.product_id,
        p.review_count,
        p.rating_sum / p.review_count * 10000 as average_scaled,
        (cast(:rating_prior_weight as double) * o.global_mean + p.rating_sum)
        / (cast(:rating_prior_weight as double) + p.review_count)
        * 10000 as bayesian_scaled
    from per_product as p
    cross join overall as o
)

select
    product_id,
    cast(review_count as bigint) as review_count,
    (
        floor(average_scaled) + case
            when average_scaled - floor(average_scaled) > 0.5 then 1
            when
                average_scaled - floor(average_scaled) = 0.5
                and mod(floor(average_scaled), 2) = 1 then 1
            else 0
        end
    ) / 10000 as avg_rating,
    (
        floor(bayesian_scaled) + case
            when bayesian_scaled - floor(bayesian_scaled) > 0.5 then 1
            when
                bayesian_scaled - floor(bayesian_scaled) = 0.5
                and mod(floor(bayesian_scaled), 2) = 1 then 1
            else 0
        end
    ) / 10000 as bayesian_rating
from scaled
order by product_id asc
