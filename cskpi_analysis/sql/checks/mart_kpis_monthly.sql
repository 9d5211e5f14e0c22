-- mart_kpis_monthly: one row per month and segment, counts never null, segment an accounts' one or 'All'
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, month, segment, cast(count(*) as varchar) as value
from mart_kpis_monthly
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
from mart_kpis_monthly
where month is null
    or segment is null
union all
select
    'null value' as problem,
    month, segment,
    case
        when month_index is null then 'month_index'
        when is_complete_month is null then 'is_complete_month'
        when accounts_start is null then 'accounts_start'
        when accounts_new is null then 'accounts_new'
        when accounts_expanded is null then 'accounts_expanded'
        when accounts_contracted is null then 'accounts_contracted'
        when accounts_churned is null then 'accounts_churned'
        when accounts_reactivated is null then 'accounts_reactivated'
        when accounts_end is null then 'accounts_end'
        when mrr_start is null then 'mrr_start'
        when mrr_new is null then 'mrr_new'
        when mrr_expansion is null then 'mrr_expansion'
        when mrr_contraction is null then 'mrr_contraction'
        when mrr_churned is null then 'mrr_churned'
        when mrr_reactivation is null then 'mrr_reactivation'
        when mrr_end is null then 'mrr_end'
    end as value
from mart_kpis_monthly
where month_index is null
    or is_complete_month is null
    or accounts_start is null
    or accounts_new is null
    or accounts_expanded is null
    or accounts_contracted is null
    or accounts_churned is null
    or accounts_reactivated is null
    or accounts_end is null
    or mrr_start is null
    or mrr_new is null
    or mrr_expansion is null
    or mrr_contraction is null
    or mrr_churned is null
    or mrr_reactivation is null
    or mrr_end is null
union all
select 'unaccepted segment' as problem, month, segment, segment as value
from mart_kpis_monthly
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_kpis_monthly.segment)
