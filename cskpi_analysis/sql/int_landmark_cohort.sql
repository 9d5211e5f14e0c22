-- One row per account with a paid spell: its first paid day, its landmark day and whether it
-- belongs to the landmark cohort (the accounts a landmark analysis may use).
--   start_date        first paid day of the account (day 0)
--   landmark_date     start_date + $landmark_days (the landmark, e.g. day 30)
--   first_churn_date  end of the first spell (exclusive end), null if it has not ended by as_of;
--                     a later spell is a reactivation, but the first churn is still the event
--   exclusion_reason  why an account is not in the cohort, null if it is:
--                     'churned before the landmark' (not paying on the landmark day) or
--                     'landmark after as_of' (too young to have reached the landmark)
--   in_cohort         paying on the landmark day and landmark_date <= as_of
with spells as (
    select * from int_account_spells
),

first_spells as (
    -- the first spell fixes day 0 and the first churn
    select
        account_id,
        spell_start_date as start_date,
        spell_end_date as first_churn_date
    from spells
    where spell_number = 1
),

landmarks as (
    select
        account_id,
        start_date,
        start_date + cast($landmark_days as integer) as landmark_date,
        first_churn_date
    from first_spells
),

classified as (
    -- paying on the landmark day means the first spell's exclusive end is after it
    select
        landmarks.*,
        case
            when first_churn_date is not null and first_churn_date <= landmark_date
                then 'churned before the landmark'
            when landmark_date > cast($as_of as date) then 'landmark after as_of'
        end as exclusion_reason
    from landmarks
),

final as (
    select
        account_id,
        start_date,
        landmark_date,
        first_churn_date,
        cast($landmark_days as integer) as landmark_days,
        exclusion_reason,
        exclusion_reason is null as in_cohort
    from classified
)

select * from final
