-- One row per account per month from the account's first paid month to as_of's month,
-- with the account's MRR on the month's snapshot date: the sum of mrr of its subscriptions
-- with start_date <= snapshot_date and (no end, or effective end > snapshot_date).
-- Overlapping subscriptions add up. An account whose subscriptions never cover a snapshot
-- date (e.g. start and end inside one month under snapshot = 'end') never appears.
-- previous_mrr is the account's MRR in the month before (0 in its first paid month).
with months as (
    select * from int_months
),

coverage as (
    select * from int_subscription_coverage
),

snapshots as (
    -- each month's snapshot date and the previous month's (null for the first month: nothing
    -- is covered before it)
    select
        month,
        snapshot_date,
        lag(snapshot_date) over (order by month) as previous_snapshot_date
    from months
),

covered as (
    -- range join: the months whose snapshot date, or the previous month's, each subscription covers
    select
        coverage.account_id,
        snapshots.month,
        coverage.mrr,
        coverage.start_date <= snapshots.snapshot_date
            and (coverage.effective_end_date is null or coverage.effective_end_date > snapshots.snapshot_date)
            as covers_snapshot,
        coverage.start_date <= snapshots.previous_snapshot_date
            and (coverage.effective_end_date is null or coverage.effective_end_date > snapshots.previous_snapshot_date)
            as covers_previous_snapshot
    from coverage
    inner join snapshots
        on coverage.start_date <= snapshots.snapshot_date
        and (
            coverage.effective_end_date is null
            or coverage.effective_end_date > coalesce(snapshots.previous_snapshot_date, snapshots.snapshot_date)
        )
),

paid as (
    select
        account_id,
        month,
        sum(case when covers_snapshot then mrr end) as mrr,
        sum(case when covers_previous_snapshot then mrr end) as previous_mrr
    from covered
    group by account_id, month
),

first_paid as (
    -- a subscription priced at 0 is not revenue: the account is not paying that month
    select account_id, min(month) as first_paid_month
    from paid
    where mrr > 0
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
        case when paid.mrr > 0 then paid.mrr else cast(0 as decimal(18, 2)) end as mrr,
        -- the previous month's MRR: before the first paid month the account paid nothing
        case
            when grid.month > grid.first_paid_month and paid.previous_mrr > 0 then paid.previous_mrr
            else cast(0 as decimal(18, 2))
        end as previous_mrr
    from grid
    left join paid
        on paid.account_id = grid.account_id
        and paid.month = grid.month
)

select * from final
