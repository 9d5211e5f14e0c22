-- mart_accounts_without_usage identities beyond its contract in contracts.toml: more accounts without usage than paying
select
    'more accounts without usage than paying' as problem,
    segment,
    cast(accounts_without_usage as varchar) as value
from mart_accounts_without_usage
where accounts_without_usage > paying_accounts
