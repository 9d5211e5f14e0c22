-- the segments' counts and MRR add up to the 'All' row, per month
with by_segment as (
    select month, sum(accounts_end) as accounts_end, sum(mrr_end) as mrr_end, sum(accounts_churned) as accounts_churned
    from mart_kpis_monthly
    where segment <> 'All'
    group by month
)
select all_accounts.month, all_accounts.accounts_end, by_segment.accounts_end as segments_accounts_end
from mart_kpis_monthly as all_accounts
inner join by_segment
    on by_segment.month = all_accounts.month
where all_accounts.segment = 'All'
    and (all_accounts.accounts_end <> by_segment.accounts_end
        or all_accounts.accounts_churned <> by_segment.accounts_churned
        or abs(all_accounts.mrr_end - by_segment.mrr_end) > 0.005)
