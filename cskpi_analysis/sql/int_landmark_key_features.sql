-- One row per landmark-cohort account per key feature ($key_features): whether the account
-- used the feature in its observation window [start_date, landmark_date). A long table, so
-- that any list of key features works; cskpi_analysis.survival pivots it to one boolean
-- column per feature (adopted_<feature>).
with landmarks as (
    select * from int_landmark_cohort
    where in_cohort
),

window_usage as (
    -- usage strictly before the landmark: nothing after the landmark may leak in
    select * from int_landmark_window_usage
),

key_features as (
    -- the configured list, one row per feature
    select distinct cast(feature as varchar) as feature
    from (select unnest($key_features) as feature) as configured
),

used_features as (
    -- the features each account used in its window
    select distinct account_id, feature
    from window_usage
),

final as (
    select
        landmarks.account_id,
        key_features.feature,
        used_features.account_id is not null as adopted
    from landmarks
    cross join key_features
    left join used_features
        on used_features.account_id = landmarks.account_id
        and used_features.feature = key_features.feature
)

select * from final
