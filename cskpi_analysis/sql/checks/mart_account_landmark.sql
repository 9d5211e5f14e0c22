-- mart_account_landmark identities beyond its contract in contracts.toml: landmark is not start + landmark_days; duration outside 0..horizon; first value after the landmark
select 'landmark is not start + landmark_days' as problem, account_id, cast(landmark_date as varchar) as value
from mart_account_landmark
where landmark_days <> cast($landmark_days as integer)
    or date_diff('day', start_date, landmark_date) <> landmark_days
union all
select 'duration outside 0..horizon' as problem, account_id, cast(duration_days as varchar) as value
from mart_account_landmark
where horizon_days <> cast($horizon_days as integer) or duration_days < 0 or duration_days > horizon_days
union all
select 'first value after the landmark' as problem, account_id, cast(days_to_first_value as varchar) as value
from mart_account_landmark
where reached_first_value <> (days_to_first_value is not null) or days_to_first_value >= landmark_days
