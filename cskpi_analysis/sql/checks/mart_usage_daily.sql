-- mart_usage_daily: one row per day with usage; counts never null; active accounts between 1 and the events
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, day, cast(count(*) as varchar) as value
from mart_usage_daily
group by day
having count(*) > 1
union all
select 'null key' as problem, day, 'day' as value
from mart_usage_daily
where day is null
union all
select
    'null value' as problem,
    day,
    case
        when events is null then 'events'
        when active_accounts is null then 'active_accounts'
    end as value
from mart_usage_daily
where events is null
    or active_accounts is null
union all
select 'active accounts outside 1..events' as problem, day, cast(active_accounts as varchar) as value
from mart_usage_daily
where active_accounts < 1 or active_accounts > events
