-- question: Per day of the audit's window: reviews and their mean rating.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- tables: curated.reviews
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
select
    r.review_date as day,
    count(*) as reviews,
    avg(r.rating) as avg_rating
from curated.reviews as r
where r.review_date >= :first_day and r.review_date <= :last_day
group by r.review_date
