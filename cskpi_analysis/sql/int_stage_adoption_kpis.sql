-- One row per month x segment (and 'All') x adoption KPI of mart_stage_kpis_monthly measured from
-- usage, with its numerator and denominator (paying = paying at the end of the month):
--   breadth_of_use                          distinct features used / active accounts (paying and with
--                                           an event in the month); no row without one
--   accounts_with_3_plus_active_users_rate  paying accounts with 3+ active users / paying accounts
--   engagement_score                        the mean engagement score (0-100) of the paying accounts;
--                                           no rows without configured key features
-- No usage events at all (no data) means no rows. The stage's feature adoption rates are copied from
-- mart_stage_feature_adoption by mart_stage_kpis_monthly.
with paying_months as (
    -- accounts paying at the end of the month
    select * from int_account_movements
    where mrr > 0
),

usage_months as (
    select * from int_indicator_usage_months
),

key_feature_count as (
    select count(distinct feature) as key_features
    from (select unnest(cast($key_features as varchar[])) as feature) as configured
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
    -- the usage KPIs' numerators and denominators in one pass, per segment and in 'All' (the one roll-up:
    -- see int_report_segments)
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        sum(case when is_active then feature_breadth end) as feature_breadth_of_active,
        count(case when is_active then 1 end) as active_accounts,
        count(case when active_users >= 3 then 1 end) as accounts_with_3_plus_active_users,
        sum(engagement_score) as engagement_score,
        count(*) as paying_accounts
    from engagement
    group by grouping sets ((month, segment), (month))
),

final as (
    -- breadth of use is over active accounts only: no row without one
    select
        month,
        segment,
        'breadth_of_use' as kpi_id,
        cast(null as double) as statistic,
        cast(feature_breadth_of_active as double) as numerator,
        cast(active_accounts as double) as denominator
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
)

select * from final
