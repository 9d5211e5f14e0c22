-- One row per account with a paid spell: the day it first reached value, whenever that was
-- (not only within the landmark window): the first $first_value_milestone milestone, or the
-- first use of feature $first_value_event when that parameter is set (not empty).
-- A first value reached before the first paid day (e.g. during a trial) counts as day 0.
-- As a time-to-event outcome: reached_value is true when value came before the first churn;
-- ttfv_duration_days is then days_to_first_value, otherwise the follow-up until the first
-- churn or as_of (censored: an account that never reached value is not counted as 'never').
-- Used for time to first value as a time-to-event outcome; the day-30 mart keeps only what
-- happened before the landmark.
with landmarks as (
    select * from int_day30_landmarks
),

milestones as (
    select * from stg_milestones
),

usage_events as (
    select * from stg_usage_events
),

first_milestone as (
    select account_id, min(cast(achieved_at as date)) as first_value_date
    from milestones
    where milestone = $first_value_milestone
    group by account_id
),

first_event as (
    select account_id, min(cast(occurred_at as date)) as first_value_date
    from usage_events
    where feature = $first_value_event
    group by account_id
),

chosen as (
    -- the event definition replaces the milestone one when it is configured
    select
        landmarks.account_id,
        case
            when $first_value_event <> '' then first_event.first_value_date
            else first_milestone.first_value_date
        end as first_value_date
    from landmarks
    left join first_milestone
        on first_milestone.account_id = landmarks.account_id
    left join first_event
        on first_event.account_id = landmarks.account_id
),

measured as (
    select
        landmarks.account_id,
        landmarks.start_date,
        landmarks.first_churn_date,
        landmarks.in_cohort,
        chosen.first_value_date,
        case
            when chosen.first_value_date is null then null
            when chosen.first_value_date < landmarks.start_date then 0
            else date_diff('day', landmarks.start_date, chosen.first_value_date)
        end as days_to_first_value,
        -- follow-up ends at the first churn, or at as_of while the first spell runs
        date_diff('day', landmarks.start_date, coalesce(landmarks.first_churn_date, cast($as_of as date)))
            as days_followed
    from landmarks
    inner join chosen
        on chosen.account_id = landmarks.account_id
),

reached as (
    -- value counts if it came while the first spell ran (before the first churn day)
    select
        measured.*,
        days_to_first_value is not null
            and (first_churn_date is null or days_to_first_value < days_followed) as reached_value
    from measured
),

final as (
    select
        reached.*,
        case when reached_value then days_to_first_value else days_followed end as ttfv_duration_days
    from reached
)

select * from final
