-- One row per product event.
-- src_usage_events holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
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
