-- One row per account that reached first value, by one rule for the whole suite (time to first
-- value, activation, the landmark survival covariates and the monthly indicators all read this):
-- first value is the first use of feature $first_value_event when that option is set (not empty),
-- otherwise the first $first_value_milestone milestone ('first_value' by default).
--   first_value_at, first_value_date  when it was reached
--   first_paid_date       the account's first paid day (its first spell's start; null if it never paid)
--   days_to_first_value   days from the first paid day to first value; a first value reached
--                         before the first paid day (a trial) counts as day 0; null if it never paid
with milestones as (
    select * from stg_milestones
),

usage_events as (
    select * from stg_usage_events
),

first_paid_days as (
    select account_id, spell_start_date as first_paid_date
    from int_account_spells
    where spell_number = 1
),

first_milestone as (
    select account_id, min(achieved_at) as first_value_at
    from milestones
    where milestone = $first_value_milestone
    group by account_id
),

first_event as (
    select account_id, min(occurred_at) as first_value_at
    from usage_events
    where $first_value_event <> '' and feature = $first_value_event
    group by account_id
),

chosen as (
    -- the event, when configured, replaces the milestone (it does not fill its gaps)
    select account_id, first_value_at from first_event where $first_value_event <> ''
    union all
    select account_id, first_value_at from first_milestone where $first_value_event = ''
),

dated as (
    select
        chosen.account_id,
        chosen.first_value_at,
        cast(chosen.first_value_at as date) as first_value_date,
        first_paid_days.first_paid_date
    from chosen
    left join first_paid_days
        on first_paid_days.account_id = chosen.account_id
),

final as (
    select
        account_id,
        first_value_at,
        first_value_date,
        first_paid_date,
        -- case, not greatest(): greatest() skips nulls, and "never paid" must stay null
        case
            when first_paid_date is null then null
            when first_value_date < first_paid_date then 0
            else date_diff('day', first_paid_date, first_value_date)
        end as days_to_first_value
    from dated
)

select * from final
