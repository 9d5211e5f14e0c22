-- every mart has a unique key: (account_id, month), (month, segment), (grain, cohort, segment, months_since_start)
select 'mart_account_months' as mart, count(*) as row_count
from mart_account_months
group by account_id, month
having count(*) > 1
union all
select 'mart_kpis_monthly' as mart, count(*) as row_count
from mart_kpis_monthly
group by month, segment
having count(*) > 1
union all
select 'mart_retention_t12m' as mart, count(*) as row_count
from mart_retention_t12m
group by month, segment
having count(*) > 1
union all
select 'mart_cohort_retention' as mart, count(*) as row_count
from mart_cohort_retention
group by cohort_grain, cohort, segment, months_since_start
having count(*) > 1
