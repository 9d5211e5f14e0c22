-- One row per landmark-cohort account per key feature ($key_features): whether the account
-- used the feature in its observation window [start_date, landmark_date). A long table, so
-- that any list of key features works; cskpi_analysis.survival pivots it to one boolean
-- column per feature (adopted_<feature>).
with landmarks as (
    select * from int_day30_landmarks
    where in_cohort
),

usage_events as (
    select * from stg_usage_events
),

key_features as (
    -- the configured list, one row per feature
    select distinct cast(feature as varchar) as feature
    from (select unnest($key_features) as feature) as configured
),

window_usage as (
    -- only events strictly before the landmark: nothing after day 30 may leak in
    select distinct
        usage_events.account_id,
        usage_events.feature
    from usage_events
    inner join landmarks
        on landmarks.account_id = usage_events.account_id
        and usage_events.occurred_at >= cast(landmarks.start_date as timestamp)
        and usage_events.occurred_at < cast(landmarks.landmark_date as timestamp)
),

final as (
    select
        landmarks.account_id,
        key_features.feature,
        window_usage.account_id is not null as adopted
    from landmarks
    cross join key_features
    left join window_usage
        on window_usage.account_id = landmarks.account_id
        and window_usage.feature = key_features.feature
)

select * from final
