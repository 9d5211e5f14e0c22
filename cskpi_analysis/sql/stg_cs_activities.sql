-- One row per Customer Success activity (effort, not outcome).
-- src_cs_activities holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_cs_activities
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(occurred_at as timestamp) as occurred_at,
        lower(cast(activity_type as varchar)) as activity_type
    from source
)

select * from final
