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

usage_grid as (
    -- every account-month gets its usage; a month without events is zero usage, not missing
    select
        account_months.account_id,
        account_months.month,
        account_months.month_index,
        account_months.month_end,
        account_months.mrr,
        account_months.month_index
            - min(account_months.month_index) over (partition by account_months.account_id) as tenure_months,
        coalesce(usage_months.active_days, 0) as active_days,
        coalesce(usage_months.active_users, 0) as active_users,
        coalesce(usage_months.feature_breadth, 0) as feature_breadth,
        coalesce(usage_months.key_features_used, 0) as key_features_used
    from account_months
    left join usage_months
        on usage_months.account_id = account_months.account_id
        and usage_months.month = account_months.month
),

usage_trend as (
    -- this month against the month three months before (same account)
    select
        current_month.account_id,
        current_month.month,
        current_month.active_days - three_months_before.active_days as active_days_change_3m
    from usage_grid as current_month
    inner join usage_grid as three_months_before
        on three_months_before.account_id = current_month.account_id
        and three_months_before.month_index = current_month.month_index - 3
),

support_90d as (
    -- tickets opened in the 90 days ending at the month's end; response times and ratings
    -- only once they are known by that day
    select
        usage_grid.account_id,
        usage_grid.month,
        count(*) as tickets_90d,
        percentile_cont(0.5) within group (
            order by case
                when cast(tickets.first_response_at as date) <= usage_grid.month_end
                    then date_diff('minute', tickets.opened_at, tickets.first_response_at) / 60.0
            end
        ) as median_first_response_hours,
        avg(case when cast(tickets.resolved_at as date) <= usage_grid.month_end then tickets.csat end) as mean_csat_90d
    from usage_grid
    inner join tickets
        on tickets.account_id = usage_grid.account_id
        and date_diff('day', cast(tickets.opened_at as date), usage_grid.month_end) between 0 and 89
    group by usage_grid.account_id, usage_grid.month
),

nps_ranked as (
    -- responses of the 365 days ending at the month's end, latest first
    select
        usage_grid.account_id,
        usage_grid.month,
        nps_responses.score,
        row_number() over (
            partition by usage_grid.account_id, usage_grid.month
            order by nps_responses.responded_at desc
        ) as recency
    from usage_grid
    inner join nps_responses
        on nps_responses.account_id = usage_grid.account_id
        and date_diff('day', cast(nps_responses.responded_at as date), usage_grid.month_end) between 0 and 364
),

health_ranked as (
    -- vendor scores dated in the month, latest first
    select
        usage_grid.account_id,
        usage_grid.month,
        health_scores.score,
        row_number() over (
            partition by usage_grid.account_id, usage_grid.month
            order by health_scores.scored_at desc
        ) as recency
    from usage_grid
    inner join health_scores
        on health_scores.account_id = usage_grid.account_id
        and health_scores.scored_at between usage_grid.month and usage_grid.month_end
),

cs_effort as (
    -- CS activities: check-ins and QBRs in the month, any activity in the 90 days
    select
        usage_grid.account_id,
        usage_grid.month,
        sum(case
            when cast(cs_activities.occurred_at as date) >= usage_grid.month
                and cs_activities.activity_type in ('check_in', 'check-in', 'checkin') then 1 else 0
        end) as check_ins,
        sum(case
            when cast(cs_activities.occurred_at as date) >= usage_grid.month
                and cs_activities.activity_type = 'qbr' then 1 else 0
        end) as qbrs,
        count(*) as cs_touches_90d
    from usage_grid
    inner join cs_activities
        on cs_activities.account_id = usage_grid.account_id
        and date_diff('day', cast(cs_activities.occurred_at as date), usage_grid.month_end) between 0 and 89
    group by usage_grid.account_id, usage_grid.month
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
        usage_grid.account_id,
        usage_grid.month,
        usage_grid.month_index,
        usage_grid.month_end,
        usage_grid.mrr,
        usage_grid.tenure_months,
        health_ranked.score as health_score,
        lag(health_ranked.score) over (
            partition by usage_grid.account_id order by usage_grid.month_index
        ) as health_score_previous_month,
        usage_grid.active_days,
        usage_grid.active_users,
        cast(usage_grid.key_features_used as double) / key_feature_count.key_features as key_feature_adoption,
        usage_grid.feature_breadth,
        usage_trend.active_days_change_3m,
        coalesce(support_90d.tickets_90d, 0) as tickets_90d,
        support_90d.median_first_response_hours,
        support_90d.mean_csat_90d,
        nps_ranked.score as latest_nps,
        coalesce(cs_effort.check_ins, 0) as check_ins,
        coalesce(cs_effort.qbrs, 0) as qbrs,
        coalesce(cs_effort.cs_touches_90d, 0) as cs_touches_90d,
        case
            when first_value.first_value_date <= usage_grid.month_end then first_value.days_to_first_value
            else date_diff('day', first_value.start_date, usage_grid.month_end)
        end as days_to_first_value,
        coalesce(first_value.first_value_date <= usage_grid.month_end, false) as has_first_value
    from usage_grid
    cross join key_feature_count
    left join usage_trend
        on usage_trend.account_id = usage_grid.account_id
        and usage_trend.month = usage_grid.month
    left join support_90d
        on support_90d.account_id = usage_grid.account_id
        and support_90d.month = usage_grid.month
    left join nps_ranked
        on nps_ranked.account_id = usage_grid.account_id
        and nps_ranked.month = usage_grid.month
        and nps_ranked.recency = 1
    left join health_ranked
        on health_ranked.account_id = usage_grid.account_id
        and health_ranked.month = usage_grid.month
        and health_ranked.recency = 1
    left join cs_effort
        on cs_effort.account_id = usage_grid.account_id
        and cs_effort.month = usage_grid.month
    left join first_value
        on first_value.account_id = usage_grid.account_id
)

select * from final
