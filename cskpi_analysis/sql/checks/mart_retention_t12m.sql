-- mart_retention_t12m identities beyond its contract in contracts.toml: retained more accounts than the base
select
    'retained more accounts than the base' as problem,
    month, segment,
    cast(accounts_retained as varchar) as value
from mart_retention_t12m
where accounts_retained > accounts_base or accounts_base <= 0
