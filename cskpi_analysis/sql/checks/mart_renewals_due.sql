-- mart_renewals_due identities beyond its contract in contracts.toml: renewal not within 1..90 days of as_of
select
    'renewal not within 1..90 days of as_of' as problem,
    account_id, start_date, renewal_date,
    cast(days_to_renewal as varchar) as value
from mart_renewals_due
where days_to_renewal < 1 or days_to_renewal > 90
    or days_to_renewal <> date_diff('day', cast($as_of as date), renewal_date)
