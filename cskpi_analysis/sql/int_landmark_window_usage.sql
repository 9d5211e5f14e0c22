-- One row per landmark-cohort account, feature and user (nulls are groups of their own) seen in
-- the account's observation window [start_date, landmark_date) (day 0 included, the landmark
-- day excluded, so that nothing after the landmark can reach a landmark covariate), per block of
-- 62 days of the window (one block for any landmark up to day 62):
--   day_block  block number: days 62 * day_block to 62 * day_block + 61 of the window
--   day_bits   the days of the block with such an event, day d of the window as bit d mod 62
--   events     number of events
-- int_landmark_key_features and mart_account_landmark read it instead of the raw events.
with landmarks as (
    select * from int_landmark_cohort
    where in_cohort
),

usage_events as (
    select * from stg_usage_events
),

window_events as (
    -- only events strictly before the landmark, each with its day of the window (0 = day 0)
    select
        usage_events.account_id,
        usage_events.feature,
        usage_events.user_id,
        date_diff('day', landmarks.start_date, cast(usage_events.occurred_at as date)) as window_day
    from usage_events
    inner join landmarks
        on landmarks.account_id = usage_events.account_id
        and usage_events.occurred_at >= cast(landmarks.start_date as timestamp)
        and usage_events.occurred_at < cast(landmarks.landmark_date as timestamp)
),

final as (
    select
        account_id,
        feature,
        user_id,
        cast(floor(window_day / 62) as bigint) as day_block,
        bit_or(cast(1 as bigint) << (window_day % 62)) as day_bits,
        count(*) as events
    from window_events
    group by account_id, feature, user_id, cast(floor(window_day / 62) as bigint)
)

select * from final
