-- mart_stage_kpis_monthly: one row per month, segment and KPI; kpi_id one of the stage KPIs (catalogue.toml)
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, month, segment, kpi_id, cast(count(*) as varchar) as value
from mart_stage_kpis_monthly
group by month, segment, kpi_id
having count(*) > 1
union all
select
    'null key' as problem,
    month, segment, kpi_id,
    case
        when month is null then 'month'
        when segment is null then 'segment'
        when kpi_id is null then 'kpi_id'
    end as value
from mart_stage_kpis_monthly
where month is null
    or segment is null
    or kpi_id is null
union all
select 'null value' as problem, month, segment, kpi_id, 'is_complete_month' as value
from mart_stage_kpis_monthly
where is_complete_month is null
union all
select 'unaccepted kpi_id' as problem, month, segment, kpi_id, kpi_id as value
from mart_stage_kpis_monthly
where kpi_id not in (
        'time_to_first_value_median', 'time_to_first_value_p90', 'activation_rate',
        'onboarding_completion_rate',
        'feature_adoption_rate_early', 'feature_adoption_rate_ongoing', 'breadth_of_use',
        'accounts_with_3_plus_active_users_rate', 'engagement_score',
        'customer_retention_rate', 'customer_downgrade_rate', 'renewal_rate', 'logo_churn_rate',
        'gross_mrr_churn_rate', 'net_mrr_churn_rate', 'gross_revenue_retention', 'net_revenue_retention',
        'contraction_rate', 'gross_revenue_retention_t12m', 'net_revenue_retention_t12m',
        'logo_retention_t12m', 'customer_health_score',
        'activation_to_expansion_rate', 'time_to_first_expansion_median', 'expansion_rate',
        'expansion_revenue_rate', 'quick_ratio', 'arpa', 'annual_recurring_revenue',
        'average_revenue_per_expansion_account',
        'net_promoter_score',
        'average_resolution_time_hours', 'first_response_time_median_hours', 'csat_average',
        'csat_satisfied_rate', 'ticket_volume'
    )
union all
select 'unaccepted segment' as problem, month, segment, kpi_id, segment as value
from mart_stage_kpis_monthly
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_stage_kpis_monthly.segment)
union all
select 'value outside its interval' as problem, month, segment, kpi_id, cast(value as varchar) as value
from mart_stage_kpis_monthly
where value < value_lower or value > value_upper
