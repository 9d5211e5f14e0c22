-- mart_indicator_outcomes identities beyond its contract in contracts.toml: outcome null although observable, or not null although not; not paying
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
