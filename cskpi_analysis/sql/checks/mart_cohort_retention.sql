-- mart_cohort_retention identities beyond its contract in contracts.toml: cohort is not the first day of its period; negative months since start; more active accounts than at start
select
    'cohort is not the first day of its period' as problem,
    cohort_grain, cohort, segment, months_since_start,
    cast(cohort as varchar) as value
from mart_cohort_retention
where cohort <> cast(date_trunc('month', cohort) as date)
    or (cohort_grain = 'quarter' and cohort <> cast(date_trunc('quarter', cohort) as date))
union all
select
    'negative months since start' as problem,
    cohort_grain, cohort, segment, months_since_start,
    cast(months_since_start as varchar) as value
from mart_cohort_retention
where months_since_start < 0
union all
select
    'more active accounts than at start' as problem,
    cohort_grain, cohort, segment, months_since_start,
    cast(accounts_active as varchar) as value
from mart_cohort_retention
where accounts_active > accounts_at_start
