-- One row per start cohort month x segment (and 'All') x onboarding KPI of mart_stage_kpis_monthly,
-- with the KPI's statistic (medians and percentiles) or its numerator and denominator (rates);
-- "month" is the cohort month of the accounts' first paid day (int_stage_account_starts):
--   time_to_first_value_median, time_to_first_value_p90   days to first value of the accounts that
--                                 reached it within 90 days, in cohorts whose 90 days are over
--   activation_rate               first value within 30 days / starts whose 30 days are over
--   onboarding_completion_rate    onboarding_complete within 90 days / starts whose 90 days are over
-- A rate whose milestone no account has reached (no data) has no rows.
with starts as (
    select * from int_stage_account_starts
),

first_value_reached as (
    -- whole cohorts only: every member observed for 90 days, so late reachers are not missing
    select cohort_month, segment, days_to_first_value
    from starts
    where days_to_first_value <= 90
        and date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 90
),

time_to_first_value as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments)
    select
        cohort_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'time_to_first_value_median' as kpi_id,
        percentile_cont(0.5) within group (order by days_to_first_value) as statistic,
        cast(null as double) as numerator,
        cast(count(*) as double) as denominator
    from first_value_reached
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select
        cohort_month,
        case when grouping(segment) = 1 then 'All' else segment end,
        'time_to_first_value_p90',
        percentile_cont(0.9) within group (order by days_to_first_value),
        cast(null as double),
        cast(count(*) as double)
    from first_value_reached
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

activation as (
    -- skipped entirely when no account has a first value (no data)
    select
        cohort_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'activation_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(count(case when days_to_first_value <= 30 then 1 end) as double) as numerator,
        cast(count(*) as double) as denominator
    from starts
    where date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 30
        and exists (select 1 from starts as known where known.first_value_at is not null)
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

onboarding_completion as (
    -- skipped entirely when no account has an onboarding_complete milestone (no data)
    select
        cohort_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'onboarding_completion_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(count(case when days_to_onboarding_complete <= 90 then 1 end) as double) as numerator,
        cast(count(*) as double) as denominator
    from starts
    where date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 90
        and exists (select 1 from starts as known where known.onboarding_complete_at is not null)
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

final as (
    select month, segment, kpi_id, statistic, numerator, denominator from time_to_first_value
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from activation
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from onboarding_completion
)

select * from final
