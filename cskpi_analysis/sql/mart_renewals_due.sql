-- One row per annual subscription (billing_period_months = 12) in force on as_of whose next
-- renewal anniversary falls in the 90 days after as_of: the renewals a CS team must work now.
--   renewal_date = start_date + 12k months, the first anniversary after as_of (k >= 1)
--   in force on as_of: start_date <= as_of and (no effective end, or effective end > as_of)
--   ends_before_renewal: a known end on or before the renewal date (a cancellation already given)
with coverage as (
    select * from int_subscription_coverage
),

accounts as (
    select * from stg_accounts
),

annual_in_force as (
    select
        account_id,
        start_date,
        effective_end_date,
        mrr,
        plan,
        -- whole years completed by as_of, so the next anniversary is one more
        (date_diff('month', start_date, cast($as_of as date))
            - case when day(start_date) > day(cast($as_of as date)) then 1 else 0 end) // 12 + 1 as next_year
    from coverage
    where billing_period_months = 12
        and mrr > 0
        and start_date <= cast($as_of as date)
        and (effective_end_date is null or effective_end_date > cast($as_of as date))
),

next_renewal as (
    select
        account_id,
        start_date,
        effective_end_date,
        mrr,
        plan,
        cast(start_date + to_months(cast(12 * next_year as integer)) as date) as renewal_date
    from annual_in_force
),

final as (
    select
        next_renewal.account_id,
        accounts.account_name,
        accounts.segment,
        next_renewal.plan,
        next_renewal.start_date,
        next_renewal.renewal_date,
        date_diff('day', cast($as_of as date), next_renewal.renewal_date) as days_to_renewal,
        next_renewal.mrr,
        coalesce(next_renewal.effective_end_date <= next_renewal.renewal_date, false) as ends_before_renewal
    from next_renewal
    inner join accounts
        on accounts.account_id = next_renewal.account_id
    where next_renewal.renewal_date > cast($as_of as date)
        and next_renewal.renewal_date <= cast($as_of as date) + interval 90 day
)

select * from final
