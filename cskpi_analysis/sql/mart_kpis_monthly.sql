-- One row per month per segment, plus one row per month for all accounts (segment 'All').
-- Counts and MRR amounts of the month's movements, and every rate with its numerator and
-- denominator columns (<rate>_numerator, <rate>_denominator). Rates whose denominator is 0
-- are null. Definitions: docs/definitions.md (generated from cskpi_analysis/catalogue.toml).
with account_months as (
    select * from mart_account_months
),

months as (
    select * from int_months
),

segments as (
    select * from int_report_segments
),

movements as (
    -- every account month counted in its segment and in 'All' (the one roll-up: see int_report_segments)
    select
        month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        count(case when previous_mrr > 0 then 1 end) as accounts_start,
        count(case when movement = 'new' then 1 end) as accounts_new,
        count(case when movement = 'expansion' then 1 end) as accounts_expanded,
        count(case when movement = 'contraction' then 1 end) as accounts_contracted,
        count(case when movement = 'churn' then 1 end) as accounts_churned,
        count(case when movement = 'reactivation' then 1 end) as accounts_reactivated,
        count(case when mrr > 0 then 1 end) as accounts_end,
        sum(previous_mrr) as mrr_start,
        sum(case when movement = 'new' then movement_mrr else 0 end) as mrr_new,
        sum(case when movement = 'expansion' then movement_mrr else 0 end) as mrr_expansion,
        -- contraction and churn are reported as positive amounts lost
        sum(case when movement = 'contraction' then -movement_mrr else 0 end) as mrr_contraction,
        sum(case when movement = 'churn' then -movement_mrr else 0 end) as mrr_churned,
        sum(case when movement = 'reactivation' then movement_mrr else 0 end) as mrr_reactivation,
        sum(mrr) as mrr_end
    from account_months
    group by grouping sets ((month, segment), (month))
),

grid as (
    -- every month for every segment, so that a month with no accounts has a row of zeros
    select months.month, months.month_index, months.is_complete_month, segments.segment
    from months
    cross join segments
),

counts as (
    select
        grid.month,
        grid.month_index,
        grid.is_complete_month,
        grid.segment,
        coalesce(movements.accounts_start, 0) as accounts_start,
        coalesce(movements.accounts_new, 0) as accounts_new,
        coalesce(movements.accounts_expanded, 0) as accounts_expanded,
        coalesce(movements.accounts_contracted, 0) as accounts_contracted,
        coalesce(movements.accounts_churned, 0) as accounts_churned,
        coalesce(movements.accounts_reactivated, 0) as accounts_reactivated,
        coalesce(movements.accounts_end, 0) as accounts_end,
        coalesce(movements.mrr_start, 0) as mrr_start,
        coalesce(movements.mrr_new, 0) as mrr_new,
        coalesce(movements.mrr_expansion, 0) as mrr_expansion,
        coalesce(movements.mrr_contraction, 0) as mrr_contraction,
        coalesce(movements.mrr_churned, 0) as mrr_churned,
        coalesce(movements.mrr_reactivation, 0) as mrr_reactivation,
        coalesce(movements.mrr_end, 0) as mrr_end
    from grid
    left join movements
        on movements.month = grid.month
        and movements.segment = grid.segment
),

fractions as (
    -- numerators and denominators of every rate, named after the rate
    select
        counts.*,
        accounts_churned as logo_churn_rate_numerator,
        accounts_start as logo_churn_rate_denominator,
        mrr_contraction + mrr_churned as gross_mrr_churn_rate_numerator,
        mrr_start as gross_mrr_churn_rate_denominator,
        mrr_contraction + mrr_churned - mrr_expansion as net_mrr_churn_rate_numerator,
        mrr_start as net_mrr_churn_rate_denominator,
        mrr_start - mrr_contraction - mrr_churned as grr_numerator,
        mrr_start as grr_denominator,
        mrr_start + mrr_expansion - mrr_contraction - mrr_churned as nrr_numerator,
        mrr_start as nrr_denominator,
        mrr_expansion as expansion_rate_numerator,
        mrr_start as expansion_rate_denominator,
        mrr_contraction as contraction_rate_numerator,
        mrr_start as contraction_rate_denominator,
        mrr_new + mrr_expansion + mrr_reactivation as quick_ratio_numerator,
        mrr_contraction + mrr_churned as quick_ratio_denominator,
        mrr_end as arpa_numerator,
        accounts_end as arpa_denominator
    from counts
),

final as (
    select
        fractions.*,
        case when logo_churn_rate_denominator > 0
            then cast(logo_churn_rate_numerator as double) / logo_churn_rate_denominator end as logo_churn_rate,
        case when gross_mrr_churn_rate_denominator > 0
            then cast(gross_mrr_churn_rate_numerator as double) / cast(gross_mrr_churn_rate_denominator as double)
        end as gross_mrr_churn_rate,
        case when net_mrr_churn_rate_denominator > 0
            then cast(net_mrr_churn_rate_numerator as double) / cast(net_mrr_churn_rate_denominator as double)
        end as net_mrr_churn_rate,
        case when grr_denominator > 0
            then cast(grr_numerator as double) / cast(grr_denominator as double) end as grr,
        case when nrr_denominator > 0
            then cast(nrr_numerator as double) / cast(nrr_denominator as double) end as nrr,
        case when expansion_rate_denominator > 0
            then cast(expansion_rate_numerator as double) / cast(expansion_rate_denominator as double)
        end as expansion_rate,
        case when contraction_rate_denominator > 0
            then cast(contraction_rate_numerator as double) / cast(contraction_rate_denominator as double)
        end as contraction_rate,
        case when quick_ratio_denominator > 0
            then cast(quick_ratio_numerator as double) / cast(quick_ratio_denominator as double)
        end as quick_ratio,
        case when arpa_denominator > 0
            then cast(arpa_numerator as double) / arpa_denominator end as arpa
    from fractions
)

select * from final
