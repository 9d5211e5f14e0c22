-- mart_source_coverage: one row per contract table and month, each table of the contract, counts never null
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, table_name, month, cast(count(*) as varchar) as value
from mart_source_coverage
group by table_name, month
having count(*) > 1
union all
select
    'null key' as problem,
    table_name, month,
    case
        when table_name is null then 'table_name'
        when month is null then 'month'
    end as value
from mart_source_coverage
where table_name is null
    or month is null
union all
select 'null value' as problem, table_name, month, 'row_count' as value
from mart_source_coverage
where row_count is null
union all
select 'unaccepted table_name' as problem, table_name, month, table_name as value
from mart_source_coverage
where table_name not in (
        'accounts', 'subscriptions', 'usage_events', 'support_tickets', 'nps_responses',
        'health_scores', 'cs_activities', 'milestones'
    )
