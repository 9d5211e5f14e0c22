-- One row per account per complete month from its first paid month (paying or not), with the
-- leading and effort indicators measured over that month or a window ending on its last day.
-- Nothing after the month's last day is read, so an indicator never leaks its own outcome.
-- Usage (month M):      active_days, active_users, feature_breadth, key_features_used,
--                       key_feature_adoption = key_features_used / number of $key_features,
--                       active_days_change_3m = active_days(M) - active_days(M-3) (null before M-3)
-- Support (90 days):    tickets_90d, median_first_response_hours, mean_csat_90d
-- Sentiment:            latest_nps (latest response in the 365 days ending at M's end)
-- Vendor score:         health_score (latest score dated in M), health_score_previous_month
-- Effort (month M):     check_ins, qbrs; cs_touches_90d (any activity, 90 days)
-- Time to first value:  days_to_first_value = days from the first paid day to first value if reached by M's
--                       end, else the days elapsed so far (a lower bound); has_first_value
with account_months as (
    select * from int_account_month_mrr
    where is_complete_month
),

usage_months as (
    select * from int_indicator_usage_months
),

accounts as (
    select * from stg_accounts
),

usage_events as (
    select * from stg_usage_events
),

tickets as (
    select * from stg_support_tickets
),

nps_responses as (
    select * from stg_nps_responses
),

health_scores as (
    select * from stg_health_scores
),

cs_activities as (
    select * from stg_cs_activities
),

first_values as (
    select * from int_account_first_value
),

spells as (
    select * from int_account_spells
),

key_feature_count as (
    -- adoption is a share of the configured key features; none configured = null adoption
    select nullif(array_length(cast($key_features as varchar[])), 0) as key_features
),

grid as (
    -- every complete month of every account from its first paid month (paying or not). Those
    -- months are contiguous, so tenure is plain month arithmetic
    select
        account_id,
        month,
        month_index,
        month_end,
        mrr,
        month_index - (extract(year from first_paid_month) * 12 + extract(month from first_paid_month) - 1)
            as tenure_months
    from account_months
),

support_90d as (
    -- tickets opened in the 90 days ending at the month's end; response times and ratings
    -- only once they are known by that day
    select
        grid.account_id,
        grid.month,
        count(*) as tickets_90d,
        percentile_cont(0.5) within group (
            order by case
                when cast(tickets.first_response_at as date) <= grid.month_end
                    then date_diff('minute', tickets.opened_at, tickets.first_response_at) / 60.0
            end
        ) as median_first_response_hours,
        avg(case when cast(tickets.resolved_at as date) <= grid.month_end then tickets.csat end) as mean_csat_90d
    from grid
    inner join tickets
        on tickets.account_id = grid.account_id
        and date_diff('day', cast(tickets.opened_at as date), grid.month_end) between 0 and 89
    group by grid.account_id, grid.month
),

nps_ranked as (
    -- responses of the 365 days ending at the month's end, latest first
    select
        grid.account_id,
        grid.month,
        nps_responses.score,
        row_number() over (
            partition by grid.account_id, grid.month
            order by nps_responses.responded_at desc
        ) as recency
    from grid
    inner join nps_responses
        on nps_responses.account_id = grid.account_id
        and date_diff('day', cast(nps_responses.responded_at as date), grid.month_end) between 0 and 364
),

health_ranked as (
    -- vendor scores by calendar month, latest first
    select
        account_id,
        extract(year from scored_at) * 12 + extract(month from scored_at) - 1 as month_index,
        score,
        row_number() over (
            partition by account_id, cast(date_trunc('month', scored_at) as date)
            order by scored_at desc
        ) as recency
    from health_scores
),

health_latest as (
    -- each account's latest score of each month
    select account_id, month_index, score
    from health_ranked
    where recency = 1
),

cs_effort as (
    -- CS activities: check-ins and QBRs in the month, any activity in the 90 days
    select
        grid.account_id,
        grid.month,
        sum(case
            when cast(cs_activities.occurred_at as date) >= grid.month
                and cs_activities.activity_type in ('check_in', 'check-in', 'checkin') then 1 else 0
        end) as check_ins,
        sum(case
            when cast(cs_activities.occurred_at as date) >= grid.month
                and cs_activities.activity_type = 'qbr' then 1 else 0
        end) as qbrs,
        count(*) as cs_touches_90d
    from grid
    inner join cs_activities
        on cs_activities.account_id = grid.account_id
        and date_diff('day', cast(cs_activities.occurred_at as date), grid.month_end) between 0 and 89
    group by grid.account_id, grid.month
),

first_value as (
    -- one rule for first value (int_account_first_value), counted from the first paid day like
    -- every other time-to-first-value in the suite (day 0 = the first spell's first day)
    select
        spells.account_id,
        spells.spell_start_date as start_date,
        first_values.first_value_date,
        first_values.days_to_first_value
    from spells
    left join first_values
        on first_values.account_id = spells.account_id
    where spells.spell_number = 1
),

final as (
    select
        grid.account_id,
        grid.month,
        grid.month_index,
        grid.month_end,
        grid.mrr,
        grid.tenure_months,
        health_latest.score as health_score,
        -- the previous month's score; an account's first month has none
        case
            when grid.tenure_months > 0 then health_previous.score
        end as health_score_previous_month,
        -- a month without events is zero usage, not missing
        coalesce(usage_months.active_days, 0) as active_days,
        coalesce(usage_months.active_users, 0) as active_users,
        cast(coalesce(usage_months.key_features_used, 0) as double) / key_feature_count.key_features
            as key_feature_adoption,
        coalesce(usage_months.feature_breadth, 0) as feature_breadth,
        -- this month against the month three months before (same account; null before M-3)
        case
            when grid.tenure_months >= 3
                then coalesce(usage_months.active_days, 0) - coalesce(usage_three_months_before.active_days, 0)
        end as active_days_change_3m,
        coalesce(support_90d.tickets_90d, 0) as tickets_90d,
        support_90d.median_first_response_hours,
        support_90d.mean_csat_90d,
        nps_ranked.score as latest_nps,
        coalesce(cs_effort.check_ins, 0) as check_ins,
        coalesce(cs_effort.qbrs, 0) as qbrs,
        coalesce(cs_effort.cs_touches_90d, 0) as cs_touches_90d,
        case
            when first_value.first_value_date <= grid.month_end then first_value.days_to_first_value
            else date_diff('day', first_value.start_date, grid.month_end)
        end as days_to_first_value,
        coalesce(first_value.first_value_date <= grid.month_end, false) as has_first_value
    from grid
    cross join key_feature_count
    left join usage_months
        on usage_months.account_id = grid.account_id
        and usage_months.month = grid.month
    left join usage_months as usage_three_months_before
        on usage_three_months_before.account_id = grid.account_id
        and usage_three_months_before.month = cast(grid.month - interval 3 month as date)
    left join support_90d
        on support_90d.account_id = grid.account_id
        and support_90d.month = grid.month
    left join nps_ranked
        on nps_ranked.account_id = grid.account_id
        and nps_ranked.month = grid.month
        and nps_ranked.recency = 1
    left join health_latest
        on health_latest.account_id = grid.account_id
        and health_latest.month_index = grid.month_index
    left join health_latest as health_previous
        on health_previous.account_id = grid.account_id
        and health_previous.month_index = grid.month_index - 1
    left join cs_effort
        on cs_effort.account_id = grid.account_id
        and cs_effort.month = grid.month
    left join first_value
        on first_value.account_id = grid.account_id
)

select * from final
