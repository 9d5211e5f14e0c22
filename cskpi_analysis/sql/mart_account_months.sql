-- One row per account per month, from its first paid month to as_of's month, with the
-- MRR movement between the previous month and this one (classified in int_account_movements;
-- see docs/definitions.md):
--   new           first paid month of the account
--   reactivation  not paying last month, paying now, paid before ('new' when reactivation = 'new')
--   expansion     paying both months, more now        contraction  paying both, less now (> 0)
--   churn         paying last month, not now          retained     paying both, same MRR
--   inactive      paying neither month (after a churn)
-- movement_mrr = mrr - previous_mrr (signed). Months after as_of do not exist, so an account
-- still paying at as_of never gets a churn row.
with movements as (
    select * from int_account_movements
),

final as (
    select
        account_id,
        month,
        month_index,
        month_end,
        snapshot_date,
        is_complete_month,
        segment,
        cohort_month,
        mrr,
        previous_mrr,
        movement,
        movement_mrr
    from movements
)

select * from final
