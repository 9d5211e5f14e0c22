-- One row per support ticket, with response and resolution times in hours.
-- src_support_tickets holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_support_tickets
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(ticket_id as varchar) as ticket_id,
        cast(opened_at as timestamp) as opened_at,
        cast(first_response_at as timestamp) as first_response_at,
        cast(resolved_at as timestamp) as resolved_at,
        cast(csat as integer) as csat
    from source
)

select * from final
