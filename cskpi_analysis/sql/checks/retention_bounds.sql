-- 0 <= GRR <= 1 and NRR >= GRR, monthly and trailing twelve months
select 'monthly' as form, month, segment, grr, nrr from mart_kpis_monthly
where grr < 0 or grr > 1 + 1e-12 or nrr < grr - 1e-12
union all
select 't12m' as form, month, segment, grr_t12m, nrr_t12m from mart_retention_t12m
where grr_t12m < 0 or grr_t12m > 1 + 1e-12 or nrr_t12m < grr_t12m - 1e-12
