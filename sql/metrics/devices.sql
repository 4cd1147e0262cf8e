-- question: Per day and device of the audit's window: sessions (weighted for a sampled
-- question: clickstream), converting sessions, and sessions as logged.
-- param: first_day date = 1900-01-01 First day of the window.
-- param: last_day date = 2999-12-31 Last day of the window (inclusive).
-- param: first_month str = '1900-01' Month partition of first_day (YYYY-MM), for pruning.
-- tables: curated.sessions
-- note: Internal (the audit's metrics, pipeline_lib.quality._metrics), not a named query.
select
    s.session_date as day,
    coalesce(s.device, 'unknown') as device,
    sum(s.sample_weight) as sessions,
    sum(case when s.converted then s.sample_weight else 0 end) as converting_sessions,
    count(*) as logged
from curated.sessions as s
where
    s.session_month >= :first_month
    and s.session_date >= :first_day
    and s.session_date <= :last_day
group by s.session_date, coalesce(s.device, 'unknown')
