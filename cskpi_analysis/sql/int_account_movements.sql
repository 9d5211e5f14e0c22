-- One row per account per month, from its first paid month to as_of's month, with the account's
-- segment and the MRR movement between the previous month and this one (see docs/definitions.md):
--   new           first paid month of the account
--   reactivation  not paying last month, paying now, paid before ('new' when reactivation = 'new')
--   expansion     paying both months, more now        contraction  paying both, less now (> 0)
--   churn         paying last month, not now          retained     paying both, same MRR
--   inactive      paying neither month (after a churn)
-- movement_mrr = mrr - previous_mrr (signed). Accounts missing from the accounts table are left out.
-- The suite's one classification: mart_account_months publishes it, and the stage KPI models
-- (int_stage_*_kpis, which may not read a mart) read it here.
with account_month_mrr as (
    select * from int_account_month_mrr
),

accounts as (
    select * from stg_accounts
),

classified as (
    select
        account_month_mrr.*,
        case
            when month = first_paid_month then 'new'
            when previous_mrr = 0 and mrr > 0 and $reactivation = 'new' then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when previous_mrr > 0 and mrr > previous_mrr then 'expansion'
            when previous_mrr > 0 and mrr < previous_mrr then 'contraction'
            when previous_mrr > 0 then 'retained'
            else 'inactive'
        end as movement,
        mrr - previous_mrr as movement_mrr
    from account_month_mrr
),

final as (
    select
        classified.account_id,
        classified.month,
        classified.month_index,
        classified.month_end,
        classified.snapshot_date,
        classified.is_complete_month,
        accounts.segment,
        classified.first_paid_month as cohort_month,
        classified.mrr,
        classified.previous_mrr,
        classified.movement,
        classified.movement_mrr
    from classified
    inner join accounts
        on accounts.account_id = classified.account_id
)

select * from final
