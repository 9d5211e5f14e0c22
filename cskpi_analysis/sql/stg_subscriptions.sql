-- One row per subscription: a priced commitment over [start_date, end_date).
-- MRR is cast to an exact decimal so that sums and bridges reconcile to the cent.
-- src_subscriptions holds the values parsed as the validator parses them (contract.parse_sql, applied by
-- sources.register_sources), of the contract's stored types: these casts cannot fail.
with source as (
    select * from src_subscriptions
),

final as (
    select
        cast(account_id as varchar) as account_id,
        cast(start_date as date) as start_date,
        -- exclusive end: the first day not covered; null while ongoing
        cast(end_date as date) as end_date,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(plan as varchar) as plan,
        cast(billing_period_months as integer) as billing_period_months
    from source
)

select * from final
