-- One row per NPS survey response.
-- src_nps_responses holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_nps_responses
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(responded_at as timestamp) as responded_at,
        cast(score as integer) as score
    from source
)

select * from final
