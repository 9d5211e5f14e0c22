-- mart_renewals_due: renewals due within 90 days of as_of, never null (no unique key: a subscription has no id)
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select
    'null value' as problem,
    account_id, start_date, renewal_date,
    case
        when account_id is null then 'account_id'
        when segment is null then 'segment'
        when start_date is null then 'start_date'
        when renewal_date is null then 'renewal_date'
        when days_to_renewal is null then 'days_to_renewal'
        when mrr is null then 'mrr'
        when ends_before_renewal is null then 'ends_before_renewal'
    end as value
from mart_renewals_due
where account_id is null
    or segment is null
    or start_date is null
    or renewal_date is null
    or days_to_renewal is null
    or mrr is null
    or ends_before_renewal is null
union all
select 'unaccepted segment' as problem, account_id, start_date, renewal_date, segment as value
from mart_renewals_due
where not exists (select 1 from stg_accounts where stg_accounts.segment = mart_renewals_due.segment)
union all
select
    'renewal not within 1..90 days of as_of' as problem,
    account_id, start_date, renewal_date,
    cast(days_to_renewal as varchar) as value
from mart_renewals_due
where days_to_renewal < 1 or days_to_renewal > 90
    or days_to_renewal <> date_diff('day', cast($as_of as date), renewal_date)
