-- One row per month x segment (and 'All') x expansion KPI of mart_stage_kpis_monthly measured per
-- account, with its statistic or its numerator and denominator:
--   activation_to_expansion_rate    activated accounts (first value within 30 days) that expanded in
--                                   the 12 months after their start month / activated accounts whose
--                                   12 months are complete; by start cohort month
--   time_to_first_expansion_median  median days from the first paid day to the snapshot day that saw
--                                   the first expansion; by start cohort month
--   average_revenue_per_expansion_account   MRR of the accounts expanding in the month / those accounts
-- An expansion is the 'expansion' movement of int_account_movements. The bridge's expansion KPIs
-- (expansion rate and revenue rate, quick ratio, ARPA, ARR) are copied from mart_kpis_monthly by
-- mart_stage_kpis_monthly.
with starts as (
    select * from int_stage_account_starts
),

expansion_months as (
    -- months in which each account expanded, with the snapshot day that saw it
    select * from int_account_movements
    where movement = 'expansion'
),

months as (
    select * from int_months
),

last_complete as (
    select max(month_index) as month_index from months where is_complete_month
),

activated_expansions as (
    -- accounts activated (first value within 30 days) whose 12 months after the start month
    -- are complete, and whether they expanded in those 12 months
    select
        starts.cohort_month,
        starts.segment,
        case when exists (
            select 1
            from expansion_months
            where expansion_months.account_id = starts.account_id
                and expansion_months.month_index > starts.cohort_month_index
                and expansion_months.month_index <= starts.cohort_month_index + 12
        ) then 1 else 0 end as expanded
    from starts
    cross join last_complete
    where starts.days_to_first_value <= 30
        and starts.cohort_month_index + 12 <= last_complete.month_index
),

first_expansions as (
    select
        starts.cohort_month,
        starts.segment,
        date_diff('day', starts.start_date, min(expansion_months.snapshot_date)) as days_to_first_expansion
    from starts
    inner join expansion_months
        on expansion_months.account_id = starts.account_id
    group by starts.account_id, starts.cohort_month, starts.segment, starts.start_date
),

activation_to_expansion as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments), as every KPI below
    select
        cohort_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'activation_to_expansion_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(sum(expanded) as double) as numerator,
        cast(count(*) as double) as denominator
    from activated_expansions
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

time_to_first_expansion as (
    select
        cohort_month as month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'time_to_first_expansion_median' as kpi_id,
        percentile_cont(0.5) within group (order by days_to_first_expansion) as statistic,
        cast(null as double) as numerator,
        cast(count(*) as double) as denominator
    from first_expansions
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

revenue_per_expansion_account as (
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'average_revenue_per_expansion_account' as kpi_id,
        cast(null as double) as statistic,
        cast(sum(mrr) as double) as numerator,
        cast(count(*) as double) as denominator
    from expansion_months
    group by grouping sets ((month, segment), (month))
),

final as (
    select month, segment, kpi_id, statistic, numerator, denominator from activation_to_expansion
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from time_to_first_expansion
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from revenue_per_expansion_account
)

select * from final
