-- One row per segment: accounts that ever paid, and how many of them have no usage event at all.
--   share_without_usage = accounts_without_usage / paying_accounts
with account_months as (
    select * from mart_account_months
),

usage_events as (
    select * from stg_usage_events
),

paying as (
    select distinct account_id, segment from account_months where mrr > 0
),

used as (
    select distinct account_id from usage_events
),

final as (
    select
        paying.segment,
        count(*) as paying_accounts,
        count(case when used.account_id is null then 1 end) as accounts_without_usage,
        cast(count(case when used.account_id is null then 1 end) as double) / count(*) as share_without_usage
    from paying
    left join used on used.account_id = paying.account_id
    group by paying.segment
)

select * from final
