-- One row per account with a paid spell: the day it first reached value, whenever that was
-- (not only within the landmark window), from int_account_first_value (the suite's one rule).
-- A first value reached before the first paid day (e.g. during a trial) counts as day 0.
-- As a time-to-event outcome: reached_value is true when value came before the first churn;
-- ttfv_duration_days is then days_to_first_value, otherwise the follow-up until the first
-- churn or as_of (censored: an account that never reached value is not counted as 'never').
-- Used for time to first value as a time-to-event outcome; the landmark mart (mart_account_landmark)
-- keeps only what happened before the landmark.
with landmarks as (
    select * from int_landmark_cohort
),

first_values as (
    -- one rule for first value, shared by the whole suite
    select * from int_account_first_value
),

measured as (
    -- day 0 of the landmark is the first paid day, from which first value is counted
    select
        landmarks.account_id,
        landmarks.start_date,
        landmarks.first_churn_date,
        landmarks.in_cohort,
        first_values.first_value_date,
        first_values.days_to_first_value,
        -- follow-up ends at the first churn, or at as_of while the first spell runs
        date_diff('day', landmarks.start_date, coalesce(landmarks.first_churn_date, cast($as_of as date)))
            as days_followed
    from landmarks
    left join first_values
        on first_values.account_id = landmarks.account_id
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
