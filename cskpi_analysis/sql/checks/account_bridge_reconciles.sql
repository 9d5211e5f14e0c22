-- accounts at end = start + new + reactivated - churned, per month and segment
select month, segment, accounts_start, accounts_new, accounts_reactivated, accounts_churned, accounts_end
from mart_kpis_monthly
where accounts_start + accounts_new + accounts_reactivated - accounts_churned <> accounts_end
