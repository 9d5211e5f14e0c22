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
    -- the calendar month of each event, and its day of the month as a bit (days 1-31 of a bigint)
    select
        account_id,
        cast(date_trunc('month', occurred_at) as date) as month,
        cast(1 as bigint) << (extract(day from occurred_at) - 1) as day_bit,
        feature,
        user_id
    from usage_events
),

feature_months as (
    -- one row per account, month and feature used (a null feature is a group of its own)
    select
        account_id,
        month,
        feature,
        bit_or(day_bit) as day_bits,
        count(*) as events
    from dated
    group by account_id, month, feature
),

feature_totals as (
    select
        account_id,
        month,
        bit_count(bit_or(day_bits)) as active_days,
        count(feature) as feature_breadth,
        count(case when list_contains(cast($key_features as varchar[]), feature) then feature end)
            as key_features_used,
        sum(events) as events
    from feature_months
    group by account_id, month
),

user_totals as (
    -- distinct users, counted apart: null user ids do not count
    select account_id, month, count(distinct user_id) as active_users
    from dated
    where user_id is not null
    group by account_id, month
),

final as (
    select
        feature_totals.account_id,
        feature_totals.month,
        cast(feature_totals.active_days as bigint) as active_days,
        coalesce(user_totals.active_users, 0) as active_users,
        feature_totals.feature_breadth,
        feature_totals.key_features_used,
        cast(feature_totals.events as bigint) as events
    from feature_totals
    left join user_totals
        on user_totals.account_id = feature_totals.account_id
        and user_totals.month = feature_totals.month
)

select * from final
