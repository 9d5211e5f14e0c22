-- mart_stage_nps: one row per period grain, period and segment; grain month or quarter; NPS in -100..100
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, period_grain, period, segment, cast(count(*) as varchar) as value
from mart_stage_nps
group by period_grain, period, segment
having count(*) > 1
union all
select
    'null key' as problem,
    period_grain, period, segment,
    case
        when period_grain is null then 'period_grain'
        when period is null then 'period'
        when segment is null then 'segment'
    end as value
from mart_stage_nps
where period_grain is null
    or period is null
    or segment is null
union all
select
    'null value' as problem,
    period_grain, period, segment,
    case
        when promoters is null then 'promoters'
        when passives is null then 'passives'
        when detractors is null then 'detractors'
        when responses is null then 'responses'
        when nps is null then 'nps'
    end as value
from mart_stage_nps
where promoters is null
    or passives is null
    or detractors is null
    or responses is null
    or nps is null
union all
select 'unaccepted period_grain' as problem, period_grain, period, segment, period_grain as value
from mart_stage_nps
where period_grain not in ('month', 'quarter')
union all
select 'unaccepted segment' as problem, period_grain, period, segment, segment as value
from mart_stage_nps
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_stage_nps.segment)
union all
select
    'promoters, passives and detractors are not the responses' as problem,
    period_grain, period, segment,
    cast(responses as varchar) as value
from mart_stage_nps
where promoters + passives + detractors <> responses
union all
select
    'nps outside -100..100 or its interval' as problem,
    period_grain, period, segment,
    cast(nps as varchar) as value
from mart_stage_nps
where nps < -100 or nps > 100 or nps_lower > nps or nps_upper < nps
