-- mart_stage_kpis_monthly identities beyond its contract in contracts.toml: value outside its interval
select 'value outside its interval' as problem, month, segment, kpi_id, cast(value as varchar) as value
from mart_stage_kpis_monthly
where value < value_lower or value > value_upper
