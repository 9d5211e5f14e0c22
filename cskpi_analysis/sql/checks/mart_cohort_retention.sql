-- mart_cohort_retention: one row per grain, cohort, segment and months since start; grain month or quarter
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
-- (is_complete may be null: it is while no month is complete yet, as_of in the first month)
select
    'duplicate key' as problem,
    cohort_grain, cohort, segment, months_since_start,
    cast(count(*) as varchar) as value
from mart_cohort_retention
group by cohort_grain, cohort, segment, months_since_start
having count(*) > 1
union all
select
    'null key' as problem,
    cohort_grain, cohort, segment, months_since_start,
    case
        when cohort_grain is null then 'cohort_grain'
        when cohort is null then 'cohort'
        when segment is null then 'segment'
        when months_since_start is null then 'months_since_start'
    end as value
from mart_cohort_retention
where cohort_grain is null
    or cohort is null
    or segment is null
    or months_since_start is null
union all
select
    'null value' as problem,
    cohort_grain, cohort, segment, months_since_start,
    case
        when accounts_at_start is null then 'accounts_at_start'
        when accounts_active is null then 'accounts_active'
        when mrr_at_start is null then 'mrr_at_start'
        when mrr_active is null then 'mrr_active'
    end as value
from mart_cohort_retention
where accounts_at_start is null
    or accounts_active is null
    or mrr_at_start is null
    or mrr_active is null
union all
select
    'unaccepted cohort_grain' as problem,
    cohort_grain, cohort, segment, months_since_start,
    cohort_grain as value
from mart_cohort_retention
where cohort_grain not in ('month', 'quarter')
union all
select 'unaccepted segment' as problem, cohort_grain, cohort, segment, months_since_start, segment as value
from mart_cohort_retention
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_cohort_retention.segment)
union all
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
