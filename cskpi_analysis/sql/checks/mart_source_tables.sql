-- mart_source_tables: one row per contract table, each table of the contract, counts never null
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, table_name, cast(count(*) as varchar) as value
from mart_source_tables
group by table_name
having count(*) > 1
union all
select 'null key' as problem, table_name, 'table_name' as value
from mart_source_tables
where table_name is null
union all
select
    'null value' as problem,
    table_name,
    case
        when position is null then 'position'
        when row_count is null then 'row_count'
        when accounts is null then 'accounts'
    end as value
from mart_source_tables
where position is null
    or row_count is null
    or accounts is null
union all
select 'unaccepted table_name' as problem, table_name, table_name as value
from mart_source_tables
where table_name not in (
        'accounts', 'subscriptions', 'usage_events', 'support_tickets', 'nps_responses',
        'health_scores', 'cs_activities', 'milestones'
    )
