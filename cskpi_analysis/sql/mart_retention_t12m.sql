-- One row per month per segment (and 'All'): trailing-twelve-month retention of the
-- accounts paying at the end of month M-12 (the SaaS Capital / ChartMogul annual form).
--   grr_t12m            = sum(min(MRR_M, MRR_M-12)) / sum(MRR_M-12)
--   nrr_t12m            = sum(MRR_M) / sum(MRR_M-12)
--   logo_retention_t12m = accounts paying at M / accounts paying at M-12
-- Accounts that churned and came back by M count as retained (they are paying at M).
-- Only months with a month M-12 in the data have a row.
with account_months as (
    select * from mart_account_months
),

months as (
    select * from int_months
),

base as (
    select account_id, segment, month_index, mrr
    from account_months
    where mrr > 0
),

pairs as (
    -- each account paying at M-12 paired with its MRR twelve months later (0 if gone)
    select
        months.month,
        months.month_index,
        months.is_complete_month,
        base.segment,
        base.mrr as mrr_base,
        coalesce(later.mrr, cast(0 as decimal(18, 2))) as mrr_now
    from base
    inner join months
        on months.month_index = base.month_index + 12
    left join account_months as later
        on later.account_id = base.account_id
        and later.month_index = base.month_index + 12
),

aggregated as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments)
    select
        month,
        month_index,
        is_complete_month,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        count(*) as accounts_base,
        count(case when mrr_now > 0 then 1 end) as accounts_retained,
        sum(mrr_base) as mrr_base,
        sum(case when mrr_now < mrr_base then mrr_now else mrr_base end) as mrr_retained_capped,
        sum(mrr_now) as mrr_now
    from pairs
    group by grouping sets ((month, month_index, is_complete_month, segment), (month, month_index, is_complete_month))
),

final as (
    select
        aggregated.*,
        mrr_retained_capped as grr_t12m_numerator,
        mrr_base as grr_t12m_denominator,
        cast(mrr_retained_capped as double) / cast(mrr_base as double) as grr_t12m,
        mrr_now as nrr_t12m_numerator,
        mrr_base as nrr_t12m_denominator,
        cast(mrr_now as double) / cast(mrr_base as double) as nrr_t12m,
        accounts_retained as logo_retention_t12m_numerator,
        accounts_base as logo_retention_t12m_denominator,
        cast(accounts_retained as double) / accounts_base as logo_retention_t12m
    from aggregated
)

select * from final
