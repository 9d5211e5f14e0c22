-- mart_accounts_without_usage: one row per segment; counts never null, at most the paying accounts
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, segment, cast(count(*) as varchar) as value
from mart_accounts_without_usage
group by segment
having count(*) > 1
union all
select 'null key' as problem, segment, 'segment' as value
from mart_accounts_without_usage
where segment is null
union all
select
    'null value' as problem,
    segment,
    case
        when paying_accounts is null then 'paying_accounts'
        when accounts_without_usage is null then 'accounts_without_usage'
        when share_without_usage is null then 'share_without_usage'
    end as value
from mart_accounts_without_usage
where paying_accounts is null
    or accounts_without_usage is null
    or share_without_usage is null
union all
select 'unaccepted segment' as problem, segment, segment as value
from mart_accounts_without_usage
where not exists (select 1 from stg_accounts where stg_accounts.segment = mart_accounts_without_usage.segment)
union all
select
    'more accounts without usage than paying' as problem,
    segment,
    cast(accounts_without_usage as varchar) as value
from mart_accounts_without_usage
where accounts_without_usage > paying_accounts
