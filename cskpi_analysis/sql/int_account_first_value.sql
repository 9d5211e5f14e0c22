-- One row per account that reached first value, by one rule for the whole suite (time to first
-- value, activation, the day-30 survival covariates and the monthly indicators all read this):
-- first value is the first use of feature $first_value_event when that option is set (not empty),
-- otherwise the first $first_value_milestone milestone ('first_value' by default).
-- Whether it came before the first paid day (a trial: day 0) is for each use to say.
with milestones as (
    select * from stg_milestones
),

usage_events as (
    select * from stg_usage_events
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

final as (
    select
        account_id,
        first_value_at,
        cast(first_value_at as date) as first_value_date
    from chosen
)

select * from final
