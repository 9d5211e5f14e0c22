-- One row per account that has ever started a paid subscription (mrr > 0, start on or before
-- as_of), with the onboarding facts the stage KPIs need:
--   start_date               first paid day: the earliest start_date of a paid subscription
--   cohort_month             the month of start_date (the start cohort of the onboarding KPIs)
--   observed_days            days from start_date to as_of (how much of the account's life is visible)
--   first_value_at           when the account first reached value (int_account_first_value: the
--                            $first_value_event feature's first use when configured, else the
--                            $first_value_milestone milestone), else null
--   days_to_first_value      days from start_date to first value; 0 when reached before paying
--                            (int_account_first_value's, the suite's one count)
--   days_to_onboarding_complete  likewise for the `onboarding_complete` milestone
--   days_to_first_key_feature    likewise for the first use of any of $key_features
-- Nothing after as_of is read.
with spells as (
    select * from int_account_spells
),

accounts as (
    select * from stg_accounts
),

milestones as (
    select * from stg_milestones
    where cast(achieved_at as date) <= cast($as_of as date)
),

usage_events as (
    select * from stg_usage_events
    where cast(occurred_at as date) <= cast($as_of as date)
),

key_features as (
    -- the configured key features, one row each
    select distinct feature
    from (select unnest(cast($key_features as varchar[])) as feature) as configured
),

starts as (
    -- the first paid day of each account: the start of its first paid spell
    select account_id, spell_start_date as start_date
    from spells
    where spell_number = 1
),

first_values as (
    -- one rule for first value, shared by the whole suite
    select * from int_account_first_value
),

onboarding_completions as (
    select account_id, min(achieved_at) as achieved_at
    from milestones
    where milestone = 'onboarding_complete'
    group by account_id
),

first_key_feature_uses as (
    select usage_events.account_id, min(usage_events.occurred_at) as occurred_at
    from usage_events
    inner join key_features
        on key_features.feature = usage_events.feature
    group by usage_events.account_id
),

joined as (
    select
        starts.account_id,
        accounts.segment,
        starts.start_date,
        cast(date_trunc('month', starts.start_date) as date) as cohort_month,
        date_diff('day', starts.start_date, cast($as_of as date)) as observed_days,
        first_values.first_value_at,
        first_values.days_to_first_value,
        onboarding_completions.achieved_at as onboarding_complete_at,
        first_key_feature_uses.occurred_at as first_key_feature_at
    from starts
    inner join accounts
        on accounts.account_id = starts.account_id
    left join first_values
        on first_values.account_id = starts.account_id
    left join onboarding_completions
        on onboarding_completions.account_id = starts.account_id
    left join first_key_feature_uses
        on first_key_feature_uses.account_id = starts.account_id
),

final as (
    select
        account_id,
        segment,
        start_date,
        cohort_month,
        extract(year from cohort_month) * 12 + extract(month from cohort_month) - 1 as cohort_month_index,
        observed_days,
        first_value_at,
        days_to_first_value,
        onboarding_complete_at,
        -- a milestone reached during a trial, before the first paid day, counts as day 0, as
        -- first value does (case, not greatest(): greatest() skips nulls, and "not reached"
        -- must stay null)
        case
            when onboarding_complete_at is null then null
            when onboarding_complete_at < start_date then 0
            else date_diff('day', start_date, cast(onboarding_complete_at as date))
        end as days_to_onboarding_complete,
        first_key_feature_at,
        case
            when first_key_feature_at is null then null
            when first_key_feature_at < start_date then 0
            else date_diff('day', start_date, cast(first_key_feature_at as date))
        end as days_to_first_key_feature
    from joined
)

select * from final
