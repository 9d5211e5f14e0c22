-- One row per NPS survey response.
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
