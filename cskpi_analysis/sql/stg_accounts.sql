-- One row per account: the accounts export, cast to contract types.
-- Contact e-mail is deliberately not staged: nothing downstream may show it.
-- src_accounts holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_accounts
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(signup_date as date) as signup_date,
        -- an empty segment is reported as 'Unknown', never dropped
        coalesce(nullif(trim(cast(segment as varchar)), ''), 'Unknown') as segment,
        cast(plan as varchar) as plan,
        cast(industry as varchar) as industry,
        cast(region as varchar) as region,
        cast(csm_owner as varchar) as csm_owner,
        cast(acquisition_channel as varchar) as acquisition_channel,
        cast(currency as varchar) as currency,
        cast(name as varchar) as account_name
    from source
)

select * from final
