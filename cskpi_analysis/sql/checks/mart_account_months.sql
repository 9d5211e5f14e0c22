-- mart_account_months identities beyond its contract in contracts.toml: unaccepted movement; movement_mrr is not mrr - previous_mrr
select 'unaccepted movement' as problem, account_id, month, movement as value
from mart_account_months
where movement = 'reactivation' and $reactivation = 'new'
union all
select
    'movement_mrr is not mrr - previous_mrr' as problem,
    account_id, month,
    cast(movement_mrr as varchar) as value
from mart_account_months
where movement_mrr <> mrr - previous_mrr
