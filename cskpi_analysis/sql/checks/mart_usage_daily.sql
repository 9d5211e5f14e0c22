-- mart_usage_daily identities beyond its contract in contracts.toml: active accounts outside 1..events
select 'active accounts outside 1..events' as problem, day, cast(active_accounts as varchar) as value
from mart_usage_daily
where active_accounts < 1 or active_accounts > events
