-- One row per account per calendar month in which the account used the product, with the
-- usage indicators of that month (months without any event have no row: zero usage):
--   active_days          distinct days with at least one event
--   active_users         distinct user_id with at least one event (null user ids not counted)
--   feature_breadth      distinct features used
--   key_features_used    distinct features used among $key_features
--   events               number of events
with usage_events as (
    select * from stg_usage_events
    where cast(occurred_at as date) <= cast($as_of as date)
),

dated as (
    -- the calendar month and day of each event
    select
        account_id,
        cast(date_trunc('month', occurred_at) as date) as month,
        cast(occurred_at as date) as event_date,
        feature,
        user_id,
        list_contains(cast($key_features as varchar[]), feature) as is_key_feature
    from usage_events
),

final as (
    select
        account_id,
        month,
        count(distinct event_date) as active_days,
        count(distinct user_id) as active_users,
        count(distinct feature) as feature_breadth,
        count(distinct case when is_key_feature then feature end) as key_features_used,
        count(*) as events
    from dated
    group by account_id, month
)

select * from final
