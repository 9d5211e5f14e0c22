-- One row per month x segment (and 'All') x KPI of the lifecycle-stage views (long format):
--   kpi_id       the KPI's id in cskpi_analysis/catalogue.toml (its stage, definition and pairing)
--   value        the KPI: numerator / denominator for rates and means; the statistic itself for
--                medians and percentiles (numerator null, denominator = accounts or tickets it
--                is taken over), for NPS (-100 to 100) and for totals (ticket volume, ARR)
--   value_lower, value_upper   95% interval where one is defined (NPS), else null
-- What "month" means is part of each definition: the start cohort month for onboarding KPIs,
-- early adoption, activation-to-expansion and time to first expansion; the anniversary month
-- for renewal rate; the month of the event otherwise. The KPIs measured for this mart are computed
-- per stage in int_stage_<stage>_kpis (onboarding, adoption, retention, expansion, support); the
-- others are copied from the marts that define them, not recomputed: the MRR bridge's rates from
-- mart_kpis_monthly and mart_retention_t12m, feature adoption from mart_stage_feature_adoption and
-- NPS (the advocacy stage) from mart_stage_nps. A KPI whose source data is absent (no milestones,
-- usage events, NPS responses, tickets or key features) has no rows.
-- Definitions: docs/definitions.md (generated from the catalogue).
with months as (
    select * from int_months
),

segments as (
    select * from int_report_segments
),

onboarding_kpis as (
    select * from int_stage_onboarding_kpis
),

adoption_kpis as (
    select * from int_stage_adoption_kpis
),

retention_kpis as (
    select * from int_stage_retention_kpis
),

expansion_kpis as (
    select * from int_stage_expansion_kpis
),

support_kpis as (
    select * from int_stage_support_kpis
),

kpis_monthly as (
    select * from mart_kpis_monthly
),

retention_t12m as (
    select * from mart_retention_t12m
),

feature_adoption as (
    select * from mart_stage_feature_adoption
    where feature = '(any key feature)'
),

nps as (
    select * from mart_stage_nps
    where period_grain = 'month'
),

adoption_copied as (
    -- feature adoption of any key feature, from mart_stage_feature_adoption
    select
        month,
        segment,
        'feature_adoption_rate_early' as kpi_id,
        cast(null as double) as statistic,
        cast(early_adoption_rate_numerator as double) as numerator,
        cast(early_adoption_rate_denominator as double) as denominator
    from feature_adoption
    union all
    select month, segment, 'feature_adoption_rate_ongoing', cast(null as double),
        cast(ongoing_adoption_rate_numerator as double), cast(ongoing_adoption_rate_denominator as double)
    from feature_adoption
),

retention_copied as (
    -- customer retention and downgrade rates from the account bridge; core rates copied from the
    -- retention marts
    select
        month,
        segment,
        'customer_retention_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(accounts_start - accounts_churned as double) as numerator,
        cast(accounts_start as double) as denominator
    from kpis_monthly
    union all
    select month, segment, 'customer_downgrade_rate', cast(null as double),
        cast(accounts_contracted as double), cast(accounts_start as double)
    from kpis_monthly
    union all
    select month, segment, 'logo_churn_rate', cast(null as double),
        cast(logo_churn_rate_numerator as double), cast(logo_churn_rate_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'gross_mrr_churn_rate', cast(null as double),
        cast(gross_mrr_churn_rate_numerator as double), cast(gross_mrr_churn_rate_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'net_mrr_churn_rate', cast(null as double),
        cast(net_mrr_churn_rate_numerator as double), cast(net_mrr_churn_rate_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'gross_revenue_retention', cast(null as double),
        cast(grr_numerator as double), cast(grr_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'net_revenue_retention', cast(null as double),
        cast(nrr_numerator as double), cast(nrr_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'contraction_rate', cast(null as double),
        cast(contraction_rate_numerator as double), cast(contraction_rate_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'gross_revenue_retention_t12m', cast(null as double),
        cast(grr_t12m_numerator as double), cast(grr_t12m_denominator as double)
    from retention_t12m
    union all
    select month, segment, 'net_revenue_retention_t12m', cast(null as double),
        cast(nrr_t12m_numerator as double), cast(nrr_t12m_denominator as double)
    from retention_t12m
    union all
    select month, segment, 'logo_retention_t12m', cast(null as double),
        cast(logo_retention_t12m_numerator as double), cast(logo_retention_t12m_denominator as double)
    from retention_t12m
),

expansion_copied as (
    -- the MRR bridge's expansion KPIs, from mart_kpis_monthly
    select
        month,
        segment,
        'expansion_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(expansion_rate_numerator as double) as numerator,
        cast(expansion_rate_denominator as double) as denominator
    from kpis_monthly
    union all
    select month, segment, 'expansion_revenue_rate', cast(null as double),
        cast(mrr_expansion as double), cast(mrr_new + mrr_expansion + mrr_reactivation as double)
    from kpis_monthly
    union all
    select month, segment, 'quick_ratio', cast(null as double),
        cast(quick_ratio_numerator as double), cast(quick_ratio_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'arpa', cast(null as double),
        cast(arpa_numerator as double), cast(arpa_denominator as double)
    from kpis_monthly
    union all
    select month, segment, 'annual_recurring_revenue', cast(12 * mrr_end as double),
        cast(12 * mrr_end as double), cast(null as double)
    from kpis_monthly
),

advocacy_copied as (
    -- NPS of the month, with its interval, from mart_stage_nps
    select
        period as month,
        segment,
        'net_promoter_score' as kpi_id,
        nps as statistic,
        cast(nps_numerator as double) as numerator,
        cast(nps_denominator as double) as denominator,
        nps_lower as value_lower,
        nps_upper as value_upper
    from nps
),

measured as (
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double) as value_lower, cast(null as double) as value_upper
    from onboarding_kpis
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from adoption_kpis
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from adoption_copied
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from retention_kpis
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from retention_copied
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from expansion_kpis
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from expansion_copied
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, value_lower, value_upper
    from advocacy_copied
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, cast(null as double), cast(null as double)
    from support_kpis
),

kpi_ids as (
    select distinct kpi_id from measured
),

grid as (
    -- every month for every segment and measured KPI, so that a quiet month has a row
    select months.month, months.is_complete_month, segments.segment, kpi_ids.kpi_id
    from months
    cross join segments
    cross join kpi_ids
),

final as (
    select
        grid.month,
        grid.is_complete_month,
        grid.segment,
        grid.kpi_id,
        case
            when measured.statistic is not null then measured.statistic
            when measured.denominator > 0 then measured.numerator / measured.denominator
        end as value,
        measured.numerator,
        measured.denominator,
        measured.value_lower,
        measured.value_upper
    from grid
    left join measured
        on measured.month = grid.month
        and measured.segment = grid.segment
        and measured.kpi_id = grid.kpi_id
)

select * from final
