-- One row per account per scoring date of the vendor health score.
-- src_health_scores holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_health_scores
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(scored_at as date) as scored_at,
        cast(score as double) as score
    from source
)

select * from final
