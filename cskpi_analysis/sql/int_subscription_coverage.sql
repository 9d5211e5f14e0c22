-- One row per subscription, with the effective end used for MRR snapshots.
-- Re-signup grace gap (fight-churn's gap): when an account's paid coverage stops on
-- end_date and a new subscription starts within $grace_days days, the account is treated
-- as still paying this subscription's MRR until the new one starts, so the gap is not churn.
-- With $grace_days = 0 the effective end is the billed end_date.
with subscriptions as (
    select * from stg_subscriptions
    where start_date <= cast($as_of as date)
),

next_start as (
    -- the first start of another subscription of the same account on or after this end
    select
        ended.account_id,
        ended.start_date,
        ended.end_date,
        ended.mrr,
        min(later.start_date) as next_start_date
    from subscriptions as ended
    left join subscriptions as later
        on later.account_id = ended.account_id
        and later.start_date >= ended.end_date
    where ended.end_date is not null
    group by ended.account_id, ended.start_date, ended.end_date, ended.mrr
),

uncovered_end as (
    -- ends after which the account has no other subscription covering the day (a real gap)
    select distinct ended.account_id, ended.end_date
    from next_start as ended
    where not exists (
        select 1
        from subscriptions as other
        where other.account_id = ended.account_id
            and other.start_date <= ended.end_date
            and (other.end_date is null or other.end_date > ended.end_date)
    )
),

bridged as (
    select
        next_start.account_id,
        next_start.start_date,
        next_start.end_date,
        next_start.mrr,
        case
            when uncovered_end.account_id is not null
                and next_start.next_start_date is not null
                and date_diff('day', next_start.end_date, next_start.next_start_date) <= $grace_days
                then next_start.next_start_date
            else next_start.end_date
        end as effective_end_date
    from next_start
    left join uncovered_end
        on uncovered_end.account_id = next_start.account_id
        and uncovered_end.end_date = next_start.end_date
),

final as (
    select
        subscriptions.account_id,
        subscriptions.start_date,
        subscriptions.end_date,
        subscriptions.mrr,
        subscriptions.plan,
        subscriptions.billing_period_months,
        coalesce(bridged.effective_end_date, subscriptions.end_date) as effective_end_date
    from subscriptions
    left join (select distinct * from bridged) as bridged
        on bridged.account_id = subscriptions.account_id
        and bridged.start_date = subscriptions.start_date
        and bridged.end_date = subscriptions.end_date
        and bridged.mrr = subscriptions.mrr
)

select * from final
