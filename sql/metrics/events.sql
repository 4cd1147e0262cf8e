-- question: Per day and event type of the audit's window: events (weighted for a sampled
-- question: clickstream), events of signed-in visitors, and events as logged.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- param: first_month str = '1900-01' Month partition of first_day (YYYY-MM), for pruning.
-- tables: curated.clickstream
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
select
    c.event_date as day,
    c.event_type,
    sum(1.0 / coalesce(c.sample_rate, 1.0)) as events,
    sum(case when c.customer_id is not null then 1.0 / coalesce(c.sample_rate, 1.0) else 0 end)
        as signed_in_events,
    count(*) as logged
from curated.clickstream as c
where
    c.event_month >= :first_month
    and c.event_date >= :first_day
    and c.event_date <= :last_day
group by c.event_date, c.event_type
