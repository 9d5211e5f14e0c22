-- One row per support ticket opened on or before as_of, with its times in hours and the
-- months each KPI counts it in:
--   opened_month          ticket volume
--   first_response_month  first response time (hours from opened_at to first_response_at)
--   resolved_month        resolution time (hours from opened_at to resolved_at)
--   csat_month            CSAT: the resolved month, or the opened month of an unresolved ticket
with tickets as (
    select * from stg_support_tickets
    where cast(opened_at as date) <= cast($as_of as date)
),

final as (
    select
        account_id,
        ticket_id,
        cast(date_trunc('month', opened_at) as date) as opened_month,
        cast(date_trunc('month', first_response_at) as date) as first_response_month,
        cast(date_trunc('month', resolved_at) as date) as resolved_month,
        cast(date_trunc('month', coalesce(resolved_at, opened_at)) as date) as csat_month,
        date_diff('second', opened_at, first_response_at) / 3600.0 as first_response_hours,
        date_diff('second', opened_at, resolved_at) / 3600.0 as resolution_hours,
        csat
    from tickets
)

select * from final
