-- MRR at end = start + new + expansion + reactivation - contraction - churn, per month and segment
select month, segment, mrr_start, mrr_end,
    mrr_start + mrr_new + mrr_expansion + mrr_reactivation - mrr_contraction - mrr_churned as mrr_end_from_bridge
from mart_kpis_monthly
where abs(mrr_start + mrr_new + mrr_expansion + mrr_reactivation - mrr_contraction - mrr_churned - mrr_end) > 0.005
