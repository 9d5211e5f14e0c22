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

movements as (
    -- the months with an outcome movement; other months cannot set a flag
    select account_id, month_index, movement
    from account_months
    where movement in ('churn', 'contraction', 'expansion')
),

future as (
    -- the first month with each movement in the 12 months after M (null if none)
    select
        indicators.account_id,
        indicators.month_index,
        min(case when movements.movement = 'churn' then movements.month_index end) as next_churn_month_index,
        min(case when movements.movement = 'contraction' then movements.month_index end)
            as next_contraction_month_index,
        min(case when movements.movement = 'expansion' then movements.month_index end)
            as next_expansion_month_index
    from indicators
    inner join movements
        on movements.account_id = indicators.account_id
        and movements.month_index between indicators.month_index + 1 and indicators.month_index + 12
    group by indicators.account_id, indicators.month_index
),

observability as (
    -- a horizon is observable when its last month is complete
    select
        indicators.*,
        indicators.month_index + 3 <= last_complete.last_complete_month_index as observable_3m,
        indicators.month_index + 6 <= last_complete.last_complete_month_index as observable_6m,
        indicators.month_index + 12 <= last_complete.last_complete_month_index as observable_12m
    from indicators
    cross join last_complete
),

final as (
    select
        observability.account_id,
        accounts.account_name,
        accounts.segment,
        observability.month,
        observability.month_index,
        observability.mrr,
        observability.tenure_months,
        observability.health_score,
        observability.health_score_previous_month,
        observability.active_days,
        observability.active_users,
        observability.key_feature_adoption,
        observability.feature_breadth,
        observability.active_days_change_3m,
        observability.tickets_90d,
        observability.median_first_response_hours,
        observability.mean_csat_90d,
        observability.latest_nps,
        observability.check_ins,
        observability.qbrs,
        observability.cs_touches_90d,
        observability.days_to_first_value,
        observability.has_first_value,
        observability.observable_3m,
        observability.observable_6m,
        observability.observable_12m,
        case
            when observability.observable_3m
                then case when future.next_churn_month_index <= observability.month_index + 3 then 1 else 0 end
        end as churn_3m,
        case
            when observability.observable_6m
                then case when future.next_churn_month_index <= observability.month_index + 6 then 1 else 0 end
        end as churn_6m,
        case
            when observability.observable_12m
                then case when future.next_churn_month_index is not null then 1 else 0 end
        end as churn_12m,
        case
            when observability.observable_3m
                then case when future.next_contraction_month_index <= observability.month_index + 3 then 1 else 0 end
        end as contraction_3m,
        case
            when observability.observable_6m
                then case when future.next_contraction_month_index <= observability.month_index + 6 then 1 else 0 end
        end as contraction_6m,
        case
            when observability.observable_12m
                then case when future.next_contraction_month_index is not null then 1 else 0 end
        end as contraction_12m,
        case
            when observability.observable_3m
                then case when future.next_expansion_month_index <= observability.month_index + 3 then 1 else 0 end
        end as expansion_3m,
        case
            when observability.observable_6m
                then case when future.next_expansion_month_index <= observability.month_index + 6 then 1 else 0 end
        end as expansion_6m,
        case
            when observability.observable_12m
                then case when future.next_expansion_month_index is not null then 1 else 0 end
        end as expansion_12m,
        future.next_churn_month_index - observability.month_index as months_to_churn
    from observability
    inner join accounts
        on accounts.account_id = observability.account_id
    left join future
        on future.account_id = observability.account_id
        and future.month_index = observability.month_index
)

select * from final
