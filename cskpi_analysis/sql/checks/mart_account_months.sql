-- mart_account_months: one row per account and month, nothing null, movement one of its seven kinds
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, account_id, month, cast(count(*) as varchar) as value
from mart_account_months
group by account_id, month
having count(*) > 1
union all
select
    'null key' as problem,
    account_id, month,
    case
        when account_id is null then 'account_id'
        when month is null then 'month'
    end as value
from mart_account_months
where account_id is null
    or month is null
union all
select
    'null value' as problem,
    account_id, month,
    case
        when month_index is null then 'month_index'
        when month_end is null then 'month_end'
        when snapshot_date is null then 'snapshot_date'
        when is_complete_month is null then 'is_complete_month'
        when segment is null then 'segment'
        when cohort_month is null then 'cohort_month'
        when mrr is null then 'mrr'
        when previous_mrr is null then 'previous_mrr'
        when movement is null then 'movement'
        when movement_mrr is null then 'movement_mrr'
    end as value
from mart_account_months
where month_index is null
    or month_end is null
    or snapshot_date is null
    or is_complete_month is null
    or segment is null
    or cohort_month is null
    or mrr is null
    or previous_mrr is null
    or movement is null
    or movement_mrr is null
union all
select 'unaccepted movement' as problem, account_id, month, movement as value
from mart_account_months
where movement not in ('new', 'reactivation', 'expansion', 'contraction', 'churn', 'retained', 'inactive')
    or (movement = 'reactivation' and $reactivation = 'new')
union all
select 'unaccepted segment' as problem, account_id, month, segment as value
from mart_account_months
where not exists (select 1 from stg_accounts where stg_accounts.segment = mart_account_months.segment)
union all
select
    'movement_mrr is not mrr - previous_mrr' as problem,
    account_id, month,
    cast(movement_mrr as varchar) as value
from mart_account_months
where movement_mrr <> mrr - previous_mrr
