-- One row per product event.
with source as (
    select * from src_usage_events
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(feature as varchar) as feature,
        cast(user_id as varchar) as user_id
    from source
)

select * from final
