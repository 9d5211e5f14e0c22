-- One row per contract table, in contract order: what was loaded. row_count, distinct accounts,
-- and the first and last date of the column that dates the table's rows (int_source_dates).
-- An absent optional table has a row with 0 rows and no dates.
with source_dates as (
    select * from int_source_dates
),

contract_tables as (
    select * from (
        values ('accounts', 1), ('subscriptions', 2), ('usage_events', 3), ('support_tickets', 4),
            ('nps_responses', 5), ('health_scores', 6), ('cs_activities', 7), ('milestones', 8)
    ) as t (table_name, position)
),

summarised as (
    select
        table_name,
        count(*) as row_count,
        count(distinct account_id) as accounts,
        min(dated) as first_date,
        max(dated) as last_date
    from source_dates
    group by table_name
),

final as (
    select
        contract_tables.table_name,
        contract_tables.position,
        coalesce(summarised.row_count, 0) as row_count,
        coalesce(summarised.accounts, 0) as accounts,
        summarised.first_date,
        summarised.last_date
    from contract_tables
    left join summarised on summarised.table_name = contract_tables.table_name
)

select * from final
