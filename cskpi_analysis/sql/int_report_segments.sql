-- One row per report segment: each segment of an account with an account month, and 'All' (there
-- even when no account has paid). The segments every segmented mart reports: the grids of
-- mart_kpis_monthly, mart_stage_feature_adoption and mart_stage_kpis_monthly cross it with the months,
-- so that a month with no account in a segment still has a row.
-- The roll-up into 'All' is written one way in every model: the aggregate groups by
--     grouping sets ((<keys>, segment), (<keys>))
-- and labels the second set
--     case when grouping(segment) = 1 then 'All' else segment end as segment
-- so 'All' is the same rows as the segments together, counted in the same pass (sums add up in the
-- same order). A segment is never null (stg_accounts fills 'Unknown'); a row whose account is missing
-- from the accounts table (validation refuses it) has a null segment and counts in 'All' only.
with account_months as (
    select * from int_account_movements
),

segments as (
    select distinct segment from account_months
),

final as (
    select segment from segments
    union
    select 'All' as segment
)

select * from final
