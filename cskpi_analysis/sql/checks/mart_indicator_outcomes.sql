-- mart_indicator_outcomes: one row per account and paying month; outcomes 0 or 1, null only when not observable
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, account_id, month, cast(count(*) as varchar) as value
from mart_indicator_outcomes
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
from mart_indicator_outcomes
where account_id is null
    or month is null
union all
select
    'null value' as problem,
    account_id, month,
    case
        when segment is null then 'segment'
        when month_index is null then 'month_index'
        when mrr is null then 'mrr'
        when observable_3m is null then 'observable_3m'
        when observable_6m is null then 'observable_6m'
        when observable_12m is null then 'observable_12m'
    end as value
from mart_indicator_outcomes
where segment is null
    or month_index is null
    or mrr is null
    or observable_3m is null
    or observable_6m is null
    or observable_12m is null
union all
select 'unaccepted outcome' as problem, account_id, month, cast(null as varchar) as value
from mart_indicator_outcomes
where churn_3m not in (0, 1)
    or churn_6m not in (0, 1)
    or churn_12m not in (0, 1)
    or contraction_3m not in (0, 1)
    or contraction_6m not in (0, 1)
    or contraction_12m not in (0, 1)
    or expansion_3m not in (0, 1)
    or expansion_6m not in (0, 1)
    or expansion_12m not in (0, 1)
union all
select 'unaccepted segment' as problem, account_id, month, segment as value
from mart_indicator_outcomes
where not exists (select 1 from stg_accounts where stg_accounts.segment = mart_indicator_outcomes.segment)
union all
select
    'outcome null although observable, or not null although not' as problem,
    account_id, month,
    cast(null as varchar) as value
from mart_indicator_outcomes
where (churn_3m is null) = observable_3m
    or (contraction_3m is null) = observable_3m
    or (expansion_3m is null) = observable_3m
    or (churn_6m is null) = observable_6m
    or (contraction_6m is null) = observable_6m
    or (expansion_6m is null) = observable_6m
    or (churn_12m is null) = observable_12m
    or (contraction_12m is null) = observable_12m
    or (expansion_12m is null) = observable_12m
union all
select 'not paying' as problem, account_id, month, cast(mrr as varchar) as value
from mart_indicator_outcomes
where mrr <= 0
