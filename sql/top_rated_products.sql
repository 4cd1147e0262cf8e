-- question: Which products are rated best, by Bayesian rating (few reviews are pulled to
-- question: the global mean), optionally within one category?
-- param: min_reviews int = 1 [1, 1000000] Only products with at least this many reviews.
-- param: category str = '' Only this category ('' = every category).
-- param: top_n int = 20 [1, 1000] Rows to return.
-- tables: curated.product_ratings, curated.products
with rated as (
    select
        r.product_id,
        p.name,
        p.category,
        r.review_count,
        r.avg_rating,
        r.bayesian_rating,
        row_number() over (
            order by r.bayesian_rating desc, r.review_count desc, r.product_id asc
        ) as rating_rank
    from curated.product_ratings as r
    inner join curated.products as p on r.product_id = p.product_id
    where r.review_count >= :min_reviews and (:category = '' or p.category = :category)
)

select
    product_id,
    name,
    category,
    review_count,
    avg_rating,
    bayesian_rating
from rated
where rating_rank <= :top_n
order by rating_rank
