-- mart_stage_feature_adoption identities beyond its contract in contracts.toml: unaccepted feature; more adopters than accounts
select 'unaccepted feature' as problem, month, segment, feature, feature as value
from mart_stage_feature_adoption
where feature <> '(any key feature)'
    and feature not in (select unnest(cast($key_features as varchar[])) as configured_feature)
union all
select 'more adopters than accounts' as problem, month, segment, feature, cast(null as varchar) as value
from mart_stage_feature_adoption
where early_adoption_rate_numerator > early_adoption_rate_denominator
    or ongoing_adoption_rate_numerator > ongoing_adoption_rate_denominator
