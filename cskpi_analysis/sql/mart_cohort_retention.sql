-- One row per cohort grain ('month' or 'quarter') x start cohort x months since start x
-- segment (and 'All'). A cohort is the accounts whose first paid month falls in the cohort
-- period; months_since_start counts from each account's own first paid month (0 = first).
--   logo_retention    = accounts_active / accounts_at_start, with a 95% Wilson interval
--   revenue_retention = mrr_active / mrr_at_start (net: includes expansion)
-- Only cells observable for every member of the cohort have a row (no unobserved zeros).
-- is_complete is false for a cell whose last member month is not yet over at as_of
-- (the as_of month itself); charts mask those cells.
with account_months as (
    select * from mart_account_months
),

months as (
    select * from int_months
),

as_of_month as (
    select max(month_index) as month_index, max(case when is_complete_month then month_index end) as complete_index
    from months
),

member_months as (
    -- an account's months are contiguous from its first paid month (its cohort month), so the
    -- months since start are plain month arithmetic
    select
        cohort_month,
        segment,
        month_index
            - (extract(year from cohort_month) * 12 + extract(month from cohort_month) - 1) as months_since_start,
        mrr
    from account_months
),

monthly_cells as (
    -- the finest cell: monthly cohort x segment x months since start
    select
        cohort_month,
        cast(date_trunc('quarter', cohort_month) as date) as cohort_quarter,
        segment,
        months_since_start,
        count(*) as accounts,
        count(case when mrr > 0 then 1 end) as accounts_active,
        sum(mrr) as mrr_active
    from member_months
    group by cohort_month, segment, months_since_start
),

cells as (
    -- monthly and quarterly cohorts, per segment and in 'All' (the one roll-up: see int_report_segments;
    -- counts and decimal sums add up exactly)
    select
        case when grouping(cohort_month) = 0 then 'month' else 'quarter' end as cohort_grain,
        coalesce(cohort_month, cohort_quarter) as cohort,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        months_since_start,
        cast(sum(accounts) as bigint) as accounts,
        cast(sum(accounts_active) as bigint) as accounts_active,
        sum(mrr_active) as mrr_active
    from monthly_cells
    group by grouping sets (
        (cohort_month, segment, months_since_start),
        (cohort_month, months_since_start),
        (cohort_quarter, segment, months_since_start),
        (cohort_quarter, months_since_start)
    )
),

cohort_sizes as (
    select
        cohort_grain,
        cohort,
        segment,
        accounts as accounts_at_start,
        mrr_active as mrr_at_start
    from cells
    where months_since_start = 0
),

cohort_last_start as (
    -- the latest first-paid month among the cohort's members bounds what is observable
    select
        case when grouping(cohort_month) = 0 then 'month' else 'quarter' end as cohort_grain,
        coalesce(cohort_month, cohort_quarter) as cohort,
        max(extract(year from cohort_month) * 12 + extract(month from cohort_month) - 1) as last_start_index
    from monthly_cells
    group by grouping sets ((cohort_month), (cohort_quarter))
),

observable as (
    select
        cells.cohort_grain,
        cells.cohort,
        cells.segment,
        cells.months_since_start,
        cells.accounts_active,
        cells.mrr_active,
        cohort_sizes.accounts_at_start,
        cohort_sizes.mrr_at_start,
        cohort_last_start.last_start_index + cells.months_since_start <= as_of_month.complete_index as is_complete
    from cells
    inner join cohort_sizes
        on cohort_sizes.cohort_grain = cells.cohort_grain
        and cohort_sizes.cohort = cells.cohort
        and cohort_sizes.segment = cells.segment
    inner join cohort_last_start
        on cohort_last_start.cohort_grain = cells.cohort_grain
        and cohort_last_start.cohort = cells.cohort
    cross join as_of_month
    where cohort_last_start.last_start_index + cells.months_since_start <= as_of_month.month_index
),

rates as (
    select
        observable.*,
        cast(accounts_active as double) / accounts_at_start as logo_retention,
        case when mrr_at_start > 0 then cast(mrr_active as double) / cast(mrr_at_start as double) end
            as revenue_retention,
        1.959963984540054 as z
    from observable
),

final as (
    select
        cohort_grain,
        cohort,
        segment,
        months_since_start,
        accounts_at_start,
        accounts_active,
        logo_retention,
        -- Wilson score interval for a binomial proportion (95%)
        (logo_retention + z * z / (2 * accounts_at_start)
            - z * sqrt(logo_retention * (1 - logo_retention) / accounts_at_start
                + z * z / (4 * accounts_at_start * accounts_at_start)))
            / (1 + z * z / accounts_at_start) as logo_retention_lower,
        (logo_retention + z * z / (2 * accounts_at_start)
            + z * sqrt(logo_retention * (1 - logo_retention) / accounts_at_start
                + z * z / (4 * accounts_at_start * accounts_at_start)))
            / (1 + z * z / accounts_at_start) as logo_retention_upper,
        mrr_at_start,
        mrr_active,
        revenue_retention,
        is_complete
    from rates
)

select * from final
