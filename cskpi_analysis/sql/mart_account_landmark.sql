-- One row per account that reached its landmark: paying on day $landmark_days after its
-- first paid day (its first spell still running that day) with the landmark on or before
-- as_of. Accounts that churned before the landmark are not here (see int_landmark_cohort).
-- Covariates are measured only in the window [start_date, landmark_date), day 0 included,
-- the landmark day excluded (docs/survival.md has the definitions):
--   active_days, features_used, key_features_adopted (of the configured key features), active_users,
--   reached_first_value and days_to_first_value (null if not within the window),
--   days_to_first_value_capped (the landmark when not reached), tickets_opened,
--   median_first_response_hours (a response after the landmark, or none, counts as the
--   landmark: the window cannot see later), mean_csat (tickets opened and resolved in the
--   window), nps_mean and nps_responses (responses in the window).
-- Outcome, from day 0: days_to_churn (first churn, null if none by as_of); churned = first
-- churn on or before day $horizon_days; duration_days = days_to_churn if churned, otherwise
-- the follow-up: min(days to as_of, $horizon_days) (administrative censoring at the horizon,
-- censoring at as_of for younger accounts). observable_to_horizon: start + horizon <= as_of.
with landmarks as (
    select * from int_landmark_cohort
    where in_cohort
),

accounts as (
    select * from stg_accounts
),

subscriptions as (
    select * from stg_subscriptions
),

window_usage as (
    -- product usage strictly inside [day 0, landmark), by feature and user
    select * from int_landmark_window_usage
),

support_tickets as (
    select * from stg_support_tickets
),

nps_responses as (
    select * from stg_nps_responses
),

key_features as (
    select * from int_landmark_key_features
),

first_value as (
    select * from int_landmark_first_value
),

starting_subscriptions as (
    -- what the account paid on day 0: the subscriptions covering its first paid day
    select
        landmarks.account_id,
        sum(subscriptions.mrr) as starting_mrr,
        max(coalesce(subscriptions.billing_period_months, 1)) as billing_period_months,
        max(subscriptions.plan) as subscription_plan
    from landmarks
    inner join subscriptions
        on subscriptions.account_id = landmarks.account_id
        and subscriptions.start_date <= landmarks.start_date
        and (subscriptions.end_date is null or subscriptions.end_date > landmarks.start_date)
        and subscriptions.mrr > 0
    group by landmarks.account_id
),

window_days as (
    -- the days with any event, per block of 62 days of the window
    select account_id, day_block, bit_count(bit_or(day_bits)) as active_days
    from window_usage
    group by account_id, day_block
),

day_totals as (
    select account_id, sum(active_days) as active_days
    from window_days
    group by account_id
),

usage_totals as (
    -- distinct features and users (null user ids not counted)
    select
        account_id,
        count(distinct feature) as features_used,
        count(distinct user_id) as active_users
    from window_usage
    group by account_id
),

adoption as (
    select account_id, count(case when adopted then 1 end) as key_features_adopted
    from key_features
    group by account_id
),

window_tickets as (
    -- tickets opened in the window; response times capped at the landmark, CSAT only if
    -- the ticket was resolved (and so rated) before the landmark
    select
        landmarks.account_id,
        count(*) as tickets_opened,
        percentile_cont(0.5) within group (
            order by date_diff(
                'second',
                support_tickets.opened_at,
                least(
                    coalesce(support_tickets.first_response_at, cast(landmarks.landmark_date as timestamp)),
                    cast(landmarks.landmark_date as timestamp)
                )
            ) / 3600.0
        ) as median_first_response_hours,
        avg(case
            when support_tickets.resolved_at < cast(landmarks.landmark_date as timestamp)
                then cast(support_tickets.csat as double)
        end) as mean_csat
    from landmarks
    inner join support_tickets
        on support_tickets.account_id = landmarks.account_id
        and support_tickets.opened_at >= cast(landmarks.start_date as timestamp)
        and support_tickets.opened_at < cast(landmarks.landmark_date as timestamp)
    group by landmarks.account_id
),

window_nps as (
    select
        landmarks.account_id,
        count(*) as nps_responses,
        avg(cast(nps_responses.score as double)) as nps_mean
    from landmarks
    inner join nps_responses
        on nps_responses.account_id = landmarks.account_id
        and nps_responses.responded_at >= cast(landmarks.start_date as timestamp)
        and nps_responses.responded_at < cast(landmarks.landmark_date as timestamp)
    group by landmarks.account_id
),

window_first_value as (
    -- first value counts only if reached before the landmark
    select
        account_id,
        case
            when days_to_first_value < cast($landmark_days as integer) then days_to_first_value
        end as days_to_first_value
    from first_value
),

outcomes as (
    -- days from day 0 to the first churn, to as_of, and the horizon
    select
        account_id,
        date_diff('day', start_date, first_churn_date) as days_to_churn,
        date_diff('day', start_date, cast($as_of as date)) as days_to_as_of,
        cast($horizon_days as integer) as horizon_days
    from landmarks
),

final as (
    select
        landmarks.account_id,
        accounts.segment,
        coalesce(accounts.plan, starting_subscriptions.subscription_plan) as plan,
        starting_subscriptions.billing_period_months,
        starting_subscriptions.starting_mrr,
        landmarks.start_date,
        landmarks.landmark_date,
        landmarks.landmark_days,
        coalesce(cast(day_totals.active_days as bigint), 0) as active_days,
        coalesce(usage_totals.features_used, 0) as features_used,
        coalesce(adoption.key_features_adopted, 0) as key_features_adopted,
        coalesce(usage_totals.active_users, 0) as active_users,
        window_first_value.days_to_first_value is not null as reached_first_value,
        window_first_value.days_to_first_value,
        coalesce(window_first_value.days_to_first_value, landmarks.landmark_days) as days_to_first_value_capped,
        coalesce(window_tickets.tickets_opened, 0) as tickets_opened,
        window_tickets.median_first_response_hours,
        window_tickets.mean_csat,
        coalesce(window_nps.nps_responses, 0) as nps_responses,
        window_nps.nps_mean,
        landmarks.first_churn_date,
        outcomes.days_to_churn,
        outcomes.horizon_days,
        coalesce(outcomes.days_to_churn <= outcomes.horizon_days, false) as churned,
        case
            when outcomes.days_to_churn <= outcomes.horizon_days then outcomes.days_to_churn
            else least(outcomes.days_to_as_of, outcomes.horizon_days)
        end as duration_days,
        outcomes.days_to_as_of >= outcomes.horizon_days as observable_to_horizon
    from landmarks
    inner join outcomes
        on outcomes.account_id = landmarks.account_id
    inner join accounts
        on accounts.account_id = landmarks.account_id
    left join starting_subscriptions
        on starting_subscriptions.account_id = landmarks.account_id
    left join usage_totals
        on usage_totals.account_id = landmarks.account_id
    left join day_totals
        on day_totals.account_id = landmarks.account_id
    left join adoption
        on adoption.account_id = landmarks.account_id
    left join window_tickets
        on window_tickets.account_id = landmarks.account_id
    left join window_nps
        on window_nps.account_id = landmarks.account_id
    left join window_first_value
        on window_first_value.account_id = landmarks.account_id
)

select * from final
