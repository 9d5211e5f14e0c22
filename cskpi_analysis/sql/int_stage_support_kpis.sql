-- One row per month x segment (and 'All') x support KPI of mart_stage_kpis_monthly, with its statistic
-- (median, total) or numerator and denominator; each KPI counts a ticket in its own month
-- (int_stage_support_tickets):
--   average_resolution_time_hours      hours from opened to resolved / resolved tickets (resolved month)
--   first_response_time_median_hours   median hours to the first response (first response month)
--   csat_average, csat_satisfied_rate  mean CSAT, and share of CSAT >= 4, of rated tickets (CSAT month)
--   ticket_volume                      tickets opened in the month (opened month)
-- No tickets (no data) means no rows.
with tickets as (
    select * from int_stage_support_tickets
),

accounts as (
    select * from stg_accounts
),

tickets_segmented as (
    -- each ticket with its account's segment; a ticket of an account missing from the accounts
    -- table has a null segment and counts in 'All' only
    select tickets.*, accounts.segment
    from tickets
    left join accounts
        on accounts.account_id = tickets.account_id
),

resolution_time as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments), as every KPI below
    select
        resolved_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'average_resolution_time_hours' as kpi_id,
        cast(null as double) as statistic,
        sum(resolution_hours) as numerator,
        cast(count(*) as double) as denominator
    from tickets_segmented
    where resolved_month is not null
    group by grouping sets ((resolved_month, segment), (resolved_month))
),

first_response_time as (
    select
        first_response_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'first_response_time_median_hours' as kpi_id,
        percentile_cont(0.5) within group (order by first_response_hours) as statistic,
        cast(null as double) as numerator,
        cast(count(*) as double) as denominator
    from tickets_segmented
    where first_response_month is not null
    group by grouping sets ((first_response_month, segment), (first_response_month))
),

csat as (
    select
        csat_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'csat_average' as kpi_id,
        cast(null as double) as statistic,
        cast(sum(csat) as double) as numerator,
        cast(count(*) as double) as denominator
    from tickets_segmented
    where csat is not null
    group by grouping sets ((csat_month, segment), (csat_month))
    union all
    select csat_month, case when grouping(segment) = 1 then 'All' else segment end, 'csat_satisfied_rate',
        cast(null as double), cast(count(case when csat >= 4 then 1 end) as double), cast(count(*) as double)
    from tickets_segmented
    where csat is not null
    group by grouping sets ((csat_month, segment), (csat_month))
),

ticket_volume as (
    select
        opened_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'ticket_volume' as kpi_id,
        cast(count(*) as double) as statistic,
        cast(count(*) as double) as numerator,
        cast(null as double) as denominator
    from tickets_segmented
    group by grouping sets ((opened_month, segment), (opened_month))
),

measured as (
    select month, segment, kpi_id, statistic, numerator, denominator from resolution_time
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from first_response_time
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from csat
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from ticket_volume
),

final as (
    -- tickets of unknown accounts count in 'All' only
    select month, segment, kpi_id, statistic, numerator, denominator
    from measured
    where segment is not null
)

select * from final
