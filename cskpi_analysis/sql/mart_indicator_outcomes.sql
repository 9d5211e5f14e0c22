-- One row per account per complete month M in which the account pays at M's snapshot, with
-- its indicators over M (int_account_month_indicators) and its outcomes over the following
-- 3, 6 and 12 months from mart_account_months:
--   churn_<h>m        1 if any month in M+1..M+h has a churn movement, else 0
--   contraction_<h>m  1 if any month in M+1..M+h has a contraction movement, else 0
--   expansion_<h>m    1 if any month in M+1..M+h has an expansion movement, else 0
--   observable_<h>m   M+h is a complete month; otherwise the three outcomes are null (censored:
--                     an outcome that cannot be seen yet is unknown, never 0)
--   months_to_churn   months from M to the first churn in M+1..M+12 (null if none seen)
with indicators as (
    select * from int_account_month_indicators
    where mrr > 0
),

account_months as (
    select * from mart_account_months
),

accounts as (
    select * from stg_accounts
),

months as (
    select * from int_months
),

last_complete as (
    -- the latest month whose last day is on or before as_of
    select max(month_index) as last_complete_month_index
    from months
    where is_complete_month
),

future as (
    -- movements in the 12 months after M, flagged by horizon
    select
        indicators.account_id,
        indicators.month_index,
        max(case when account_months.movement = 'churn' and account_months.month_index <= indicators.month_index + 3 then 1 else 0 end) as churn_3m,
        max(case when account_months.movement = 'churn' and account_months.month_index <= indicators.month_index + 6 then 1 else 0 end) as churn_6m,
        max(case when account_months.movement = 'churn' then 1 else 0 end) as churn_12m,
        max(case when account_months.movement = 'contraction' and account_months.month_index <= indicators.month_index + 3 then 1 else 0 end) as contraction_3m,
        max(case when account_months.movement = 'contraction' and account_months.month_index <= indicators.month_index + 6 then 1 else 0 end) as contraction_6m,
        max(case when account_months.movement = 'contraction' then 1 else 0 end) as contraction_12m,
        max(case when account_months.movement = 'expansion' and account_months.month_index <= indicators.month_index + 3 then 1 else 0 end) as expansion_3m,
        max(case when account_months.movement = 'expansion' and account_months.month_index <= indicators.month_index + 6 then 1 else 0 end) as expansion_6m,
        max(case when account_months.movement = 'expansion' then 1 else 0 end) as expansion_12m,
        min(case when account_months.movement = 'churn' then account_months.month_index end)
            - indicators.month_index as months_to_churn
    from indicators
    inner join account_months
        on account_months.account_id = indicators.account_id
        and account_months.month_index between indicators.month_index + 1 and indicators.month_index + 12
    group by indicators.account_id, indicators.month_index
),

observability as (
    -- a horizon is observable when its last month is complete
    select
        indicators.account_id,
        indicators.month_index,
        indicators.month_index + 3 <= last_complete.last_complete_month_index as observable_3m,
        indicators.month_index + 6 <= last_complete.last_complete_month_index as observable_6m,
        indicators.month_index + 12 <= last_complete.last_complete_month_index as observable_12m
    from indicators
    cross join last_complete
),

final as (
    select
        indicators.account_id,
        accounts.account_name,
        accounts.segment,
        indicators.month,
        indicators.month_index,
        indicators.mrr,
        indicators.tenure_months,
        indicators.health_score,
        indicators.health_score_previous_month,
        indicators.active_days,
        indicators.active_users,
        indicators.key_feature_adoption,
        indicators.feature_breadth,
        indicators.active_days_change_3m,
        indicators.tickets_90d,
        indicators.median_first_response_hours,
        indicators.mean_csat_90d,
        indicators.latest_nps,
        indicators.check_ins,
        indicators.qbrs,
        indicators.cs_touches_90d,
        indicators.days_to_first_value,
        indicators.has_first_value,
        observability.observable_3m,
        observability.observable_6m,
        observability.observable_12m,
        case when observability.observable_3m then coalesce(future.churn_3m, 0) end as churn_3m,
        case when observability.observable_6m then coalesce(future.churn_6m, 0) end as churn_6m,
        case when observability.observable_12m then coalesce(future.churn_12m, 0) end as churn_12m,
        case when observability.observable_3m then coalesce(future.contraction_3m, 0) end as contraction_3m,
        case when observability.observable_6m then coalesce(future.contraction_6m, 0) end as contraction_6m,
        case when observability.observable_12m then coalesce(future.contraction_12m, 0) end as contraction_12m,
        case when observability.observable_3m then coalesce(future.expansion_3m, 0) end as expansion_3m,
        case when observability.observable_6m then coalesce(future.expansion_6m, 0) end as expansion_6m,
        case when observability.observable_12m then coalesce(future.expansion_12m, 0) end as expansion_12m,
        future.months_to_churn
    from indicators
    inner join observability
        on observability.account_id = indicators.account_id
        and observability.month_index = indicators.month_index
    inner join accounts
        on accounts.account_id = indicators.account_id
    left join future
        on future.account_id = indicators.account_id
        and future.month_index = indicators.month_index
)

select * from final
