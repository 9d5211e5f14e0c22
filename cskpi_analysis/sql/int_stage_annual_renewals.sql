-- One row per renewal anniversary of an annual subscription (billing_period_months = 12)
-- reached on or before as_of. The k-th anniversary (k >= 1) is start_date + 12k months; the
-- subscription reaches it when it is still in force on that day (effective end null or on or
-- after the anniversary, re-signup grace applied). It is renewed when the account holds a
-- subscription covering the anniversary day itself: the same one continuing, or a new one.
with coverage as (
    select * from int_subscription_coverage
),

months as (
    select * from int_months
),

annual as (
    select
        account_id,
        start_date,
        effective_end_date,
        extract(year from start_date) * 12 + extract(month from start_date) - 1 as start_month_index
    from coverage
    where billing_period_months = 12 and mrr > 0
),

anniversaries as (
    -- every month a whole number of years after the start month, up to as_of's month
    select
        annual.account_id,
        annual.start_date,
        annual.effective_end_date,
        months.month as anniversary_month,
        cast(annual.start_date + interval (months.month_index - annual.start_month_index) month as date)
            as anniversary_date
    from annual
    inner join months
        on months.month_index > annual.start_month_index
        and (months.month_index - annual.start_month_index) % 12 = 0
),

reached as (
    -- observable anniversaries the subscription was still in force for
    select *
    from anniversaries
    where anniversary_date <= cast($as_of as date)
        and (effective_end_date is null or effective_end_date >= anniversary_date)
),

final as (
    select
        reached.account_id,
        reached.start_date,
        reached.anniversary_month,
        reached.anniversary_date,
        exists (
            select 1
            from coverage as later
            where later.account_id = reached.account_id
                and later.mrr > 0
                and later.start_date <= reached.anniversary_date
                and (later.effective_end_date is null or later.effective_end_date > reached.anniversary_date)
        ) as is_renewed
    from reached
)

select * from final
