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

paying_months as (
    -- accounts paying at the end of the month
    select account_id, month, segment
    from mart_account_months
    where mrr > 0
),

months as (
    select * from int_months
),

segments as (
    select * from int_report_segments
),

usage_events as (
    select * from stg_usage_events
    where cast(occurred_at as date) <= cast($as_of as date)
),

key_features as (
    select distinct feature
    from (select unnest(cast($key_features as varchar[])) as feature) as configured
),

key_feature_months as (
    -- one row per account, month and key feature used in the month, with its first use
    select
        usage_events.account_id,
        cast(date_trunc('month', usage_events.occurred_at) as date) as month,
        usage_events.feature,
        min(usage_events.occurred_at) as first_used_at
    from usage_events
    inner join key_features
        on key_features.feature = usage_events.feature
    group by usage_events.account_id, cast(date_trunc('month', usage_events.occurred_at) as date), usage_events.feature
),

first_key_feature_uses as (
    select account_id, feature, min(first_used_at) as first_used_at
    from key_feature_months
    group by account_id, feature
),

first_uses as (
    -- each key feature's first use, and the first use of any of them as '(any key feature)'
    select account_id, feature, first_used_at from first_key_feature_uses
    union all
    select account_id, '(any key feature)' as feature, min(first_used_at) as first_used_at
    from first_key_feature_uses
    group by account_id
),

features as (
    select feature from key_features
    union all
    select '(any key feature)' as feature from (select count(*) as n from key_features) as counted where n > 0
),

observable_starts as (
    -- starts whose first 30 days are over at as_of
    select account_id, cohort_month as month, segment, start_date
    from starts
    where observed_days >= 30
),

early_users as (
    -- observable starts that used the feature within 30 days of their first paid day (trial use
    -- counts): some use on or before day 30 means the first use was
    select observable_starts.month, observable_starts.segment, observable_starts.account_id, first_uses.feature
    from first_uses
    inner join observable_starts
        on observable_starts.account_id = first_uses.account_id
    where date_diff('day', observable_starts.start_date, cast(first_uses.first_used_at as date)) <= 30
),

early_numerators as (
    -- adopters per segment and in 'All' (the one roll-up: see int_report_segments);
    -- sum(1) rather than count(*) keeps the numerators' type (a sum of integers)
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        feature,
        sum(1) as numerator
    from early_users
    group by grouping sets ((month, segment, feature), (month, feature))
),

early_denominators as (
    select month, case when grouping(segment) = 1 then 'All' else segment end as segment, count(*) as denominator
    from observable_starts
    group by grouping sets ((month, segment), (month))
),

paying_key_feature_months as (
    -- paying accounts that used a key feature in the month
    select paying_months.month, paying_months.segment, paying_months.account_id, key_feature_months.feature
    from key_feature_months
    inner join paying_months
        on paying_months.account_id = key_feature_months.account_id
        and paying_months.month = key_feature_months.month
),

monthly_users as (
    -- each key feature as itself, and any of them as '(any key feature)'
    select month, segment, account_id, feature from paying_key_feature_months
    union all
    select distinct month, segment, account_id, '(any key feature)' as feature from paying_key_feature_months
),

ongoing_numerators as (
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        feature,
        sum(1) as numerator
    from monthly_users
    group by grouping sets ((month, segment, feature), (month, feature))
),

ongoing_denominators as (
    select month, case when grouping(segment) = 1 then 'All' else segment end as segment, count(*) as denominator
    from paying_months
    group by grouping sets ((month, segment), (month))
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
        coalesce(early_numerators.numerator, 0) as early_adoption_rate_numerator,
        coalesce(early_denominators.denominator, 0) as early_adoption_rate_denominator,
        case
            when early_denominators.denominator > 0
                then cast(coalesce(early_numerators.numerator, 0) as double) / early_denominators.denominator
        end as early_adoption_rate,
        coalesce(ongoing_numerators.numerator, 0) as ongoing_adoption_rate_numerator,
        coalesce(ongoing_denominators.denominator, 0) as ongoing_adoption_rate_denominator,
        case
            when ongoing_denominators.denominator > 0
                then cast(coalesce(ongoing_numerators.numerator, 0) as double) / ongoing_denominators.denominator
        end as ongoing_adoption_rate
    from grid
    left join early_numerators
        on early_numerators.month = grid.month
        and early_numerators.segment = grid.segment
        and early_numerators.feature = grid.feature
    left join early_denominators
        on early_denominators.month = grid.month
        and early_denominators.segment = grid.segment
    left join ongoing_numerators
        on ongoing_numerators.month = grid.month
        and ongoing_numerators.segment = grid.segment
        and ongoing_numerators.feature = grid.feature
    left join ongoing_denominators
        on ongoing_denominators.month = grid.month
        and ongoing_denominators.segment = grid.segment
)

select * from final
