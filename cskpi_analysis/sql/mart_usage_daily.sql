-- One row per calendar day with at least one usage event: events and distinct active accounts.
with usage_events as (
    select * from stg_usage_events
),

final as (
    select
        cast(occurred_at as date) as day,
        count(*) as events,
        count(distinct account_id) as active_accounts
    from usage_events
    group by 1
)

select * from final
