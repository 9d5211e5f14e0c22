-- One row per month x segment (and 'All') x retention KPI of mart_stage_kpis_monthly measured outside
-- the MRR bridge, with its numerator and denominator:
--   renewal_rate            annual anniversaries renewed / anniversaries reached, by anniversary month
--                           (int_stage_annual_renewals)
--   customer_health_score   the mean vendor health score of the paying accounts scored in the month
--                           (each account's latest score of the month; paying at the end of the month)
-- The bridge's retention rates are copied from mart_kpis_monthly and mart_retention_t12m by
-- mart_stage_kpis_monthly, not recomputed.
with renewals as (
    select * from int_stage_annual_renewals
),

accounts as (
    select * from stg_accounts
),

scored_months as (
    -- accounts paying at the end of the month, to be matched with their health scores
    select * from int_account_movements
    where mrr > 0
),

health_scores as (
    select * from stg_health_scores
),

renewals_segmented as (
    -- each renewal with its account's segment; a renewal of an account missing from the accounts
    -- table has a null segment and counts in 'All' only
    select renewals.anniversary_month as month, accounts.segment, renewals.is_renewed
    from renewals
    left join accounts
        on accounts.account_id = renewals.account_id
),

renewal_counts as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments)
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        count(case when is_renewed then 1 end) as renewed,
        count(*) as anniversaries
    from renewals_segmented
    group by grouping sets ((month, segment), (month))
),

renewal as (
    select
        month,
        segment,
        'renewal_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(renewed as double) as numerator,
        cast(anniversaries as double) as denominator
    from renewal_counts
    where segment is not null
),

latest_scores as (
    -- each account's latest vendor health score of each month
    select
        account_id,
        cast(date_trunc('month', scored_at) as date) as month,
        score,
        row_number() over (
            partition by account_id, cast(date_trunc('month', scored_at) as date) order by scored_at desc
        ) as recency
    from health_scores
),

scored_accounts as (
    -- paying accounts at the end of the month with their latest score of the month
    select scored_months.month, scored_months.segment, latest_scores.score
    from scored_months
    inner join latest_scores
        on latest_scores.account_id = scored_months.account_id
        and latest_scores.month = scored_months.month
        and latest_scores.recency = 1
),

health as (
    -- customer health score: the mean vendor score of scored paying accounts (its calibration is tested
    -- elsewhere), per segment and in 'All' (the one roll-up: see int_report_segments)
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        'customer_health_score' as kpi_id,
        cast(null as double) as statistic,
        sum(score) as numerator,
        cast(count(*) as double) as denominator
    from scored_accounts
    group by grouping sets ((month, segment), (month))
),

final as (
    select month, segment, kpi_id, statistic, numerator, denominator from renewal
    union all
    select month, segment, kpi_id, statistic, numerator, denominator from health
)

select * from final
