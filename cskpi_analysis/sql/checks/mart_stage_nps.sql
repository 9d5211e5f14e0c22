-- mart_stage_nps identities beyond its contract in contracts.toml: promoters, passives and detractors are not the responses; nps outside -100..100 or its interval
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
