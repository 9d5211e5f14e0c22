-- mart_account_day30: one row per account; landmark = start + landmark_days, duration within the horizon
-- (problem: the rule broken; value: the offending value, the first null column, or the number
-- of rows sharing a key)
select 'duplicate key' as problem, account_id, cast(count(*) as varchar) as value
from mart_account_day30
group by account_id
having count(*) > 1
union all
select 'null key' as problem, account_id, 'account_id' as value
from mart_account_day30
where account_id is null
union all
select
    'null value' as problem,
    account_id,
    case
        when segment is null then 'segment'
        when start_date is null then 'start_date'
        when landmark_date is null then 'landmark_date'
        when landmark_days is null then 'landmark_days'
        when active_days is null then 'active_days'
        when features_used is null then 'features_used'
        when key_features_adopted is null then 'key_features_adopted'
        when active_users is null then 'active_users'
        when reached_first_value is null then 'reached_first_value'
        when days_to_first_value_capped is null then 'days_to_first_value_capped'
        when tickets_opened is null then 'tickets_opened'
        when nps_responses is null then 'nps_responses'
        when horizon_days is null then 'horizon_days'
        when churned is null then 'churned'
        when duration_days is null then 'duration_days'
        when observable_to_horizon is null then 'observable_to_horizon'
    end as value
from mart_account_day30
where segment is null
    or start_date is null
    or landmark_date is null
    or landmark_days is null
    or active_days is null
    or features_used is null
    or key_features_adopted is null
    or active_users is null
    or reached_first_value is null
    or days_to_first_value_capped is null
    or tickets_opened is null
    or nps_responses is null
    or horizon_days is null
    or churned is null
    or duration_days is null
    or observable_to_horizon is null
union all
select 'unaccepted segment' as problem, account_id, segment as value
from mart_account_day30
where not exists (select 1 from stg_accounts where stg_accounts.segment = mart_account_day30.segment)
union all
select 'landmark is not start + landmark_days' as problem, account_id, cast(landmark_date as varchar) as value
from mart_account_day30
where landmark_days <> cast($landmark_days as integer)
    or date_diff('day', start_date, landmark_date) <> landmark_days
union all
select 'duration outside 0..horizon' as problem, account_id, cast(duration_days as varchar) as value
from mart_account_day30
where horizon_days <> cast($horizon_days as integer) or duration_days < 0 or duration_days > horizon_days
union all
select 'first value after the landmark' as problem, account_id, cast(days_to_first_value as varchar) as value
from mart_account_day30
where reached_first_value <> (days_to_first_value is not null) or days_to_first_value >= landmark_days
