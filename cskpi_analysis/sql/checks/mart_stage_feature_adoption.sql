-- mart_stage_feature_adoption: one row per month, segment and feature, a key feature or '(any key feature)'
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, month, segment, feature, cast(count(*) as varchar) as value
from mart_stage_feature_adoption
group by month, segment, feature
having count(*) > 1
union all
select
    'null key' as problem,
    month, segment, feature,
    case
        when month is null then 'month'
        when segment is null then 'segment'
        when feature is null then 'feature'
    end as value
from mart_stage_feature_adoption
where month is null
    or segment is null
    or feature is null
union all
select
    'null value' as problem,
    month, segment, feature,
    case
        when is_complete_month is null then 'is_complete_month'
        when early_adoption_rate_numerator is null then 'early_adoption_rate_numerator'
        when early_adoption_rate_denominator is null then 'early_adoption_rate_denominator'
        when ongoing_adoption_rate_numerator is null then 'ongoing_adoption_rate_numerator'
        when ongoing_adoption_rate_denominator is null then 'ongoing_adoption_rate_denominator'
    end as value
from mart_stage_feature_adoption
where is_complete_month is null
    or early_adoption_rate_numerator is null
    or early_adoption_rate_denominator is null
    or ongoing_adoption_rate_numerator is null
    or ongoing_adoption_rate_denominator is null
union all
select 'unaccepted feature' as problem, month, segment, feature, feature as value
from mart_stage_feature_adoption
where feature <> '(any key feature)'
    and feature not in (select unnest(cast($key_features as varchar[])) as configured_feature)
union all
select 'unaccepted segment' as problem, month, segment, feature, segment as value
from mart_stage_feature_adoption
where segment <> 'All'
    and not exists (select 1 from stg_accounts where stg_accounts.segment = mart_stage_feature_adoption.segment)
union all
select 'more adopters than accounts' as problem, month, segment, feature, cast(null as varchar) as value
from mart_stage_feature_adoption
where early_adoption_rate_numerator > early_adoption_rate_denominator
    or ongoing_adoption_rate_numerator > ongoing_adoption_rate_denominator
