-- One row per account per month from the account's first paid month to as_of's month,
-- with the account's MRR on the month's snapshot date: the sum of mrr of its subscriptions
-- with start_date <= snapshot_date and (no end, or effective end > snapshot_date).
-- Overlapping subscriptions add up. An account whose subscriptions never cover a snapshot
-- date (e.g. start and end inside one month under snapshot = 'end') never appears.
with months as (
    select * from int_months
),

coverage as (
    select * from int_subscription_coverage
),

paid as (
    -- range join: the months whose snapshot date each subscription covers
    select
        coverage.account_id,
        months.month,
        sum(coverage.mrr) as mrr
    from coverage
    inner join months
        on coverage.start_date <= months.snapshot_date
        and (coverage.effective_end_date is null or coverage.effective_end_date > months.snapshot_date)
    group by coverage.account_id, months.month
),

paid_nonzero as (
    -- a subscription priced at 0 is not revenue: the account is not paying that month
    select * from paid where mrr > 0
),

first_paid as (
    select account_id, min(month) as first_paid_month
    from paid_nonzero
    group by account_id
),

grid as (
    select
        first_paid.account_id,
        first_paid.first_paid_month,
        months.month,
        months.month_index,
        months.month_end,
        months.snapshot_date,
        months.is_complete_month
    from first_paid
    inner join months
        on months.month >= first_paid.first_paid_month
),

final as (
    select
        grid.account_id,
        grid.month,
        grid.month_index,
        grid.month_end,
        grid.snapshot_date,
        grid.is_complete_month,
        grid.first_paid_month,
        coalesce(paid_nonzero.mrr, cast(0 as decimal(18, 2))) as mrr
    from grid
    left join paid_nonzero
        on paid_nonzero.account_id = grid.account_id
        and paid_nonzero.month = grid.month
)

select * from final
