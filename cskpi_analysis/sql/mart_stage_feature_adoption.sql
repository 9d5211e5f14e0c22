-- One row per month x segment (and 'All') x key feature, plus feature '(any key feature)':
-- feature adoption early and ongoing (see docs/definitions.md). No key features configured
-- (analysis.key_features in cskpi.toml) means no rows.
--   early_adoption_rate    accounts whose first paid day falls in the month (start cohort) and
--                          that used the feature within 30 days of it / those accounts whose
--                          first 30 days are over at as_of
--   ongoing_adoption_rate  accounts paying at the end of the month that used the feature in
--                          the month / accounts paying at the end of the month
with starts as (
    select * from int_stage_account_starts
),

account_months as (
    select * from mart_account_months
),

months as (
    select * from int_months
),

usage_events as (
    select * from stg_usage_events
    where cast(occurred_at as date) <= cast($as_of as date)
),

key_features as (
    select distinct feature
    from (select unnest(cast($key_features as varchar[])) as feature) as configured
),

key_feature_events as (
    -- every event on a key feature, once as itself and once as '(any key feature)'
    select usage_events.account_id, usage_events.occurred_at, usage_events.feature
    from usage_events
    inner join key_features
        on key_features.feature = usage_events.feature
    union all
    select usage_events.account_id, usage_events.occurred_at, '(any key feature)' as feature
    from usage_events
    inner join key_features
        on key_features.feature = usage_events.feature
),

features as (
    select feature from key_features
    union all
    select '(any key feature)' as feature from (select count(*) as n from key_features) as counted where n > 0
),

early_users as (
    -- accounts that used the feature within 30 days of their first paid day (trial use counts)
    select distinct key_feature_events.account_id, key_feature_events.feature
    from key_feature_events
    inner join starts
        on starts.account_id = key_feature_events.account_id
    where date_diff('day', starts.start_date, cast(key_feature_events.occurred_at as date)) <= 30
),

early_base as (
    -- observable starts: their first 30 days are over at as_of
    select
        starts.cohort_month as month,
        starts.segment,
        features.feature,
        case when early_users.account_id is not null then 1 else 0 end as adopted
    from starts
    cross join features
    left join early_users
        on early_users.account_id = starts.account_id
        and early_users.feature = features.feature
    where starts.observed_days >= 30
),

early as (
    select month, segment, feature, sum(adopted) as numerator, count(*) as denominator
    from (
        select month, segment, feature, adopted from early_base
        union all
        select month, 'All' as segment, feature, adopted from early_base
    ) as segmented
    group by month, segment, feature
),

monthly_users as (
    select distinct
        account_id,
        cast(date_trunc('month', occurred_at) as date) as month,
        feature
    from key_feature_events
),

ongoing_base as (
    -- accounts paying at the end of the month, and whether they used the feature in it
    select
        account_months.month,
        account_months.segment,
        features.feature,
        case when monthly_users.account_id is not null then 1 else 0 end as adopted
    from account_months
    cross join features
    left join monthly_users
        on monthly_users.account_id = account_months.account_id
        and monthly_users.month = account_months.month
        and monthly_users.feature = features.feature
    where account_months.mrr > 0
),

ongoing as (
    select month, segment, feature, sum(adopted) as numerator, count(*) as denominator
    from (
        select month, segment, feature, adopted from ongoing_base
        union all
        select month, 'All' as segment, feature, adopted from ongoing_base
    ) as segmented
    group by month, segment, feature
),

segments as (
    select distinct segment from account_months
    union
    select 'All' as segment
),

grid as (
    select months.month, months.is_complete_month, segments.segment, features.feature
    from months
    cross join segments
    cross join features
),

final as (
    select
        grid.month,
        grid.is_complete_month,
        grid.segment,
        grid.feature,
        coalesce(early.numerator, 0) as early_adoption_rate_numerator,
        coalesce(early.denominator, 0) as early_adoption_rate_denominator,
        case when early.denominator > 0 then cast(early.numerator as double) / early.denominator end
            as early_adoption_rate,
        coalesce(ongoing.numerator, 0) as ongoing_adoption_rate_numerator,
        coalesce(ongoing.denominator, 0) as ongoing_adoption_rate_denominator,
        case when ongoing.denominator > 0 then cast(ongoing.numerator as double) / ongoing.denominator end
            as ongoing_adoption_rate
    from grid
    left join early
        on early.month = grid.month
        and early.segment = grid.segment
        and early.feature = grid.feature
    left join ongoing
        on ongoing.month = grid.month
        and ongoing.segment = grid.segment
        and ongoing.feature = grid.feature
)

select * from final
