-- One row per contract table with rows x calendar month of the KPI calendar (int_months): how many
-- of the table's rows are dated in the month (0 where none). A month with 0 rows between months
-- with rows is a gap in the export.
with source_dates as (
    select * from int_source_dates
),

months as (
    select * from int_months
),

counted as (
    select table_name, cast(date_trunc('month', dated) as date) as month, count(*) as row_count
    from source_dates
    group by 1, 2
),

loaded_tables as (
    select distinct table_name from counted
),

final as (
    select
        loaded_tables.table_name,
        months.month,
        coalesce(counted.row_count, 0) as row_count
    from loaded_tables
    cross join months
    left join counted on counted.table_name = loaded_tables.table_name and counted.month = months.month
)

select * from final
