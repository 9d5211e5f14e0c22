-- One row per source row of every contract table: the table, the account and the date that
-- dates the row (signup, subscription start, event, ticket opened, response, score, activity,
-- milestone). Read by the data-quality marts only.
-- materialization: view
with accounts as (
    select account_id, signup_date from stg_accounts
),

subscriptions as (
    select account_id, start_date from stg_subscriptions
),

usage_events as (
    select account_id, occurred_at from stg_usage_events
),

support_tickets as (
    select account_id, opened_at from stg_support_tickets
),

nps_responses as (
    select account_id, responded_at from stg_nps_responses
),

health_scores as (
    select account_id, scored_at from stg_health_scores
),

cs_activities as (
    select account_id, occurred_at from stg_cs_activities
),

milestones as (
    select account_id, achieved_at from stg_milestones
),

final as (
    select 'accounts' as table_name, account_id, cast(signup_date as date) as dated from accounts
    union all
    select 'subscriptions', account_id, cast(start_date as date) from subscriptions
    union all
    select 'usage_events', account_id, cast(occurred_at as date) from usage_events
    union all
    select 'support_tickets', account_id, cast(opened_at as date) from support_tickets
    union all
    select 'nps_responses', account_id, cast(responded_at as date) from nps_responses
    union all
    select 'health_scores', account_id, cast(scored_at as date) from health_scores
    union all
    select 'cs_activities', account_id, cast(occurred_at as date) from cs_activities
    union all
    select 'milestones', account_id, cast(achieved_at as date) from milestones
)

select * from final
