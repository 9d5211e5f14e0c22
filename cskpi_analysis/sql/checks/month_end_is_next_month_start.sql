-- accounts and MRR at the end of month M-1 equal those at the start of month M
select current_month.month, current_month.segment, previous_month.mrr_end, current_month.mrr_start
from mart_kpis_monthly as current_month
inner join mart_kpis_monthly as previous_month
    on previous_month.segment = current_month.segment
    and previous_month.month_index = current_month.month_index - 1
where previous_month.accounts_end <> current_month.accounts_start
    or abs(previous_month.mrr_end - current_month.mrr_start) > 0.005
