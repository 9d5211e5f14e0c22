-- mart_retention_t12m: one row per month and segment, base never null, segment an accounts' one or 'All'
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, month, segment, cast(count(*) as varchar) as value
from mart_retention_t12m
group by month, segment
having count(*) > 1
union all
select
    'null key' as problem,
    month, segment,
    case
        when month is null then 'month'
        when segment is null then 'segment'
    end as value
from mart_retention_t12m
where month is null
    or segment is null
union all
select
    'null value' as problem,
    month, segment,
    case
        when month_index is null then 'month_index'
        when is_complete_month is null then 'is_complete_month'
        when accounts_base is null then 'accounts_base'
        when accounts_retained is null then 'accounts_retained'
        when mrr_base is null then 'mrr_base'
        when mrr_retained_capped is null then 'mrr_retained_capped'
        when mrr_now is null then 'mrr_now'
    end as value
from mart_retention_t12m
where month_index is null
    or is_complete_month is null
    or accounts_base is null
    or accounts_retained is null
    or mrr_base is null
    or mrr_retained_capped is null
    or mrr_now is null
union all
select 'unaccepted segment' as problem, month, segment, segment as value
from mart_retention_t12m
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_retention_t12m.segment)
union all
select
    'retained more accounts than the base' as problem,
    month, segment,
    cast(accounts_retained as varchar) as value
from mart_retention_t12m
where accounts_retained > accounts_base or accounts_base <= 0
