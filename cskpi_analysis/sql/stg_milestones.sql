-- One row per account per milestone reached.
-- src_milestones holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_milestones
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(milestone as varchar) as milestone,
        cast(achieved_at as timestamp) as achieved_at
    from source
)

select * from final
