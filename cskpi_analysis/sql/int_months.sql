-- One row per calendar month from the first subscription's month to as_of's month.
-- Months after as_of do not exist. The snapshot date is the day on which an account's
-- MRR for the month is measured: the month's last day (or as_of, in as_of's own month)
-- under snapshot = 'end'; the month's first day under snapshot = 'start'.
with subscriptions as (
    select * from stg_subscriptions
),

bounds as (
    select
        cast(date_trunc('month', min(start_date)) as date) as first_month,
        cast(date_trunc('month', cast($as_of as date)) as date) as last_month
    from subscriptions
    where start_date <= cast($as_of as date)
),

series as (
    select unnest(generate_series(bounds.first_month, bounds.last_month, interval 1 month)) as month_start
    from bounds
),

calendar as (
    select cast(month_start as date) as month
    from series
),

final as (
    select
        month,
        last_day(month) as month_end,
        -- a gap-free integer key: months since year 0, so that M - 12 is plain arithmetic
        extract(year from month) * 12 + extract(month from month) - 1 as month_index,
        case
            when $snapshot = 'start' then month
            when last_day(month) > cast($as_of as date) then cast($as_of as date)
            else last_day(month)
        end as snapshot_date,
        -- a month is complete once its last day is on or before as_of
        last_day(month) <= cast($as_of as date) as is_complete_month
    from calendar
)

select * from final
