-- One row per month x segment (and 'All') x KPI of the lifecycle-stage views (long format):
--   kpi_id       the KPI's id in cskpi_analysis/catalogue.toml (its stage, definition and pairing)
--   value        the KPI: numerator / denominator for rates and means; the statistic itself for
--                medians and percentiles (numerator null, denominator = accounts or tickets it
--                is taken over), for NPS (-100 to 100) and for totals (ticket volume, ARR)
--   value_lower, value_upper   95% interval where one is defined (NPS), else null
-- What "month" means is part of each definition: the start cohort month for onboarding KPIs,
-- early adoption, activation-to-expansion and time to first expansion; the anniversary month
-- for renewal rate; the month of the event otherwise. Core retention rates are copied from
-- mart_kpis_monthly and mart_retention_t12m (not recomputed). A KPI whose source data is
-- absent (no milestones, usage events, NPS responses, tickets or key features) has no rows.
-- Definitions: docs/definitions.md (generated from the catalogue).
with months as (
    select * from int_months
),

paying_months as (
    -- accounts paying at the end of the month
    select * from mart_account_months
    where mrr > 0
),

scored_months as (
    -- the same, read again for the health scores (a CTE read twice would be materialised)
    select * from mart_account_months
    where mrr > 0
),

expansion_months as (
    -- months in which each account expanded, with the snapshot day that saw it
    select * from mart_account_months
    where movement = 'expansion'
),

kpis_monthly as (
    select * from mart_kpis_monthly
),

retention_t12m as (
    select * from mart_retention_t12m
),

starts as (
    select * from int_stage_account_starts
),

usage_months as (
    select * from int_indicator_usage_months
),

feature_adoption as (
    select * from mart_stage_feature_adoption
    where feature = '(any key feature)'
),

nps as (
    select * from mart_stage_nps
    where period_grain = 'month'
),

renewals as (
    select * from int_stage_annual_renewals
),

tickets as (
    select * from int_stage_support_tickets
),

accounts as (
    select * from stg_accounts
),

health_scores as (
    select * from stg_health_scores
),

key_feature_count as (
    select count(distinct feature) as key_features
    from (select unnest(cast($key_features as varchar[])) as feature) as configured
),

last_complete as (
    select max(month_index) as month_index from months where is_complete_month
),

onboarding as (
    -- time to first value, activation and onboarding completion, by start cohort month, per segment
    -- and in 'All' (grouping sets: segment is never null, stg_accounts fills 'Unknown');
    -- skipped entirely when no account has a first value / onboarding milestone (no data)
    select
        cohort_month as month,
        coalesce(segment, 'All') as segment,
        'time_to_first_value_median' as kpi_id,
        percentile_cont(0.5) within group (order by days_to_first_value) as statistic,
        cast(null as double) as numerator,
        cast(count(*) as double) as denominator
    from starts
    where days_to_first_value <= 90
        -- whole cohorts only: every member observed for 90 days, so late reachers are not missing
        and date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 90
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select
        cohort_month,
        coalesce(segment, 'All'),
        'time_to_first_value_p90',
        percentile_cont(0.9) within group (order by days_to_first_value),
        cast(null as double),
        cast(count(*) as double)
    from starts
    where days_to_first_value <= 90
        and date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 90
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select
        cohort_month,
        coalesce(segment, 'All'),
        'activation_rate',
        cast(null as double),
        cast(count(case when days_to_first_value <= 30 then 1 end) as double),
        cast(count(*) as double)
    from starts
    where date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 30
        and exists (select 1 from starts as known where known.first_value_at is not null)
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select
        cohort_month,
        coalesce(segment, 'All'),
        'onboarding_completion_rate',
        cast(null as double),
        cast(count(case when days_to_onboarding_complete <= 90 then 1 end) as double),
        cast(count(*) as double)
    from starts
    where date_diff('day', last_day(cohort_month), cast($as_of as date)) >= 90
        and exists (select 1 from starts as known where known.onboarding_complete_at is not null)
    group by grouping sets ((cohort_month, segment), (cohort_month))
),

adoption_accounts as (
    -- accounts paying at the end of the month, with their usage of the month (none = zeros)
    select
        paying_months.month,
        paying_months.segment,
        coalesce(usage_months.active_days, 0) as active_days,
        coalesce(usage_months.active_users, 0) as active_users,
        coalesce(usage_months.feature_breadth, 0) as feature_breadth,
        coalesce(usage_months.key_features_used, 0) as key_features_used,
        usage_months.account_id is not null as is_active
    from paying_months
    left join usage_months
        on usage_months.account_id = paying_months.account_id
        and usage_months.month = paying_months.month
    where exists (select 1 from usage_months as known)
),

engagement as (
    -- engagement score of each paying account-month, 0-100 (null when no key features are configured):
    -- min(active_days / 20, 1) * 50 + min(distinct features / 5, 1) * 30 + key features used share * 20
    select
        adoption_accounts.*,
        least(active_days / 20.0, 1.0) * 50
            + least(feature_breadth / 5.0, 1.0) * 30
            + cast(key_features_used as double) / nullif(key_feature_count.key_features, 0) * 20 as engagement_score
    from adoption_accounts
    cross join key_feature_count
),

usage_counts as (
    -- the usage KPIs' numerators and denominators in one pass, per segment and in 'All'
    select
        month,
        coalesce(segment, 'All') as segment,
        sum(case when is_active then feature_breadth end) as feature_breadth_of_active,
        count(case when is_active then 1 end) as active_accounts,
        count(case when active_users >= 3 then 1 end) as accounts_with_3_plus_active_users,
        sum(engagement_score) as engagement_score,
        count(*) as paying_accounts
    from engagement
    group by grouping sets ((month, segment), (month))
),

adoption as (
    select
        feature_adoption.month,
        feature_adoption.segment,
        'feature_adoption_rate_early' as kpi_id,
        cast(null as double) as statistic,
        cast(feature_adoption.early_adoption_rate_numerator as double) as numerator,
        cast(feature_adoption.early_adoption_rate_denominator as double) as denominator
    from feature_adoption
    union all
    select
        feature_adoption.month,
        feature_adoption.segment,
        'feature_adoption_rate_ongoing',
        cast(null as double),
        cast(feature_adoption.ongoing_adoption_rate_numerator as double),
        cast(feature_adoption.ongoing_adoption_rate_denominator as double)
    from feature_adoption
    union all
    -- breadth of use is over active accounts only: no row without one
    select month, segment, 'breadth_of_use', cast(null as double),
        cast(feature_breadth_of_active as double), cast(active_accounts as double)
    from usage_counts
    where active_accounts > 0
    union all
    select month, segment, 'accounts_with_3_plus_active_users_rate', cast(null as double),
        cast(accounts_with_3_plus_active_users as double), cast(paying_accounts as double)
    from usage_counts
    union all
    -- no key features configured: no engagement score
    select month, segment, 'engagement_score', cast(null as double),
        engagement_score, cast(paying_accounts as double)
    from usage_counts
    cross join key_feature_count
    where key_feature_count.key_features > 0
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
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        count(case when is_renewed then 1 end) as renewed,
        count(*) as anniversaries
    from renewals_segmented
    group by grouping sets ((month, segment), (month))
),

retention as (
    -- customer retention and downgrade rates from the account bridge; annual renewals;
    -- core rates copied from the retention marts
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
    select month, segment, 'renewal_rate', cast(null as double),
        cast(renewed as double), cast(anniversaries as double)
    from renewal_counts
    where segment is not null
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

expansion as (
    select
        cohort_month as month,
        coalesce(segment, 'All') as segment,
        'activation_to_expansion_rate' as kpi_id,
        cast(null as double) as statistic,
        cast(sum(expanded) as double) as numerator,
        cast(count(*) as double) as denominator
    from activated_expansions
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select
        cohort_month,
        coalesce(segment, 'All'),
        'time_to_first_expansion_median',
        percentile_cont(0.5) within group (order by days_to_first_expansion),
        cast(null as double),
        cast(count(*) as double)
    from first_expansions
    group by grouping sets ((cohort_month, segment), (cohort_month))
    union all
    select month, segment, 'expansion_rate', cast(null as double),
        cast(expansion_rate_numerator as double), cast(expansion_rate_denominator as double)
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
    union all
    select month, coalesce(segment, 'All'), 'average_revenue_per_expansion_account', cast(null as double),
        cast(sum(mrr) as double), cast(count(*) as double)
    from expansion_months
    group by grouping sets ((month, segment), (month))
),

advocacy as (
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

tickets_segmented as (
    -- each ticket with its account's segment; a ticket of an account missing from the accounts
    -- table has a null segment and counts in 'All' only
    select tickets.*, accounts.segment
    from tickets
    left join accounts
        on accounts.account_id = tickets.account_id
),

support_segmented as (
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
    union all
    select
        first_response_month,
        case when grouping(segment) = 1 then 'All' else segment end,
        'first_response_time_median_hours',
        percentile_cont(0.5) within group (order by first_response_hours),
        cast(null as double),
        cast(count(*) as double)
    from tickets_segmented
    where first_response_month is not null
    group by grouping sets ((first_response_month, segment), (first_response_month))
    union all
    select csat_month, case when grouping(segment) = 1 then 'All' else segment end, 'csat_average',
        cast(null as double), cast(sum(csat) as double), cast(count(*) as double)
    from tickets_segmented
    where csat is not null
    group by grouping sets ((csat_month, segment), (csat_month))
    union all
    select csat_month, case when grouping(segment) = 1 then 'All' else segment end, 'csat_satisfied_rate',
        cast(null as double), cast(count(case when csat >= 4 then 1 end) as double), cast(count(*) as double)
    from tickets_segmented
    where csat is not null
    group by grouping sets ((csat_month, segment), (csat_month))
    union all
    select opened_month, case when grouping(segment) = 1 then 'All' else segment end, 'ticket_volume',
        cast(count(*) as double), cast(count(*) as double), cast(null as double)
    from tickets_segmented
    group by grouping sets ((opened_month, segment), (opened_month))
),

support as (
    -- tickets of unknown accounts count in 'All' only
    select * from support_segmented
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
    -- customer health score: the mean vendor score of scored paying accounts (its calibration is tested elsewhere)
    select
        month,
        coalesce(segment, 'All') as segment,
        'customer_health_score' as kpi_id,
        cast(null as double) as statistic,
        sum(score) as numerator,
        cast(count(*) as double) as denominator
    from scored_accounts
    group by grouping sets ((month, segment), (month))
),

measured as (
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double) as value_lower, cast(null as double) as value_upper
    from onboarding
    union all
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double), cast(null as double)
    from health
    union all
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double), cast(null as double)
    from adoption
    union all
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double), cast(null as double)
    from retention
    union all
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double), cast(null as double)
    from expansion
    union all
    select month, segment, kpi_id, statistic, numerator, denominator, value_lower, value_upper
    from advocacy
    union all
    select month, segment, kpi_id, statistic, numerator, denominator,
        cast(null as double), cast(null as double)
    from support
),

segments as (
    select distinct segment from kpis_monthly
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
