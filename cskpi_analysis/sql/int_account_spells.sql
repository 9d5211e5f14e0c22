-- One row per account per continuous paid spell, at day granularity.
-- A spell is a run of days covered by at least one subscription with mrr > 0: overlapping
-- or contiguous subscriptions (one ends on the day the next starts) are merged, and so is a
-- gap of up to $grace_days days (the KPI engine's re-signup grace; 0 = billing truth).
--   spell_start_date  first paid day of the spell
--   spell_end_date    first day not covered (exclusive), null while the spell is ongoing at
--                     as_of or ends after as_of (a future end is not yet a churn)
--   spell_number      1 for the account's first spell; a later spell is a reactivation
-- Subscriptions starting after as_of do not exist yet.
with subscriptions as (
    select * from stg_subscriptions
    where mrr > 0
        and start_date <= cast($as_of as date)
        and (end_date is null or end_date > start_date)
),

ordered as (
    -- the furthest end reached by the account's earlier subscriptions (null end = open-ended).
    -- Order: by start, then ended before open-ended (null end last), written with explicit
    -- "nulls first" where no null is left to place, so that every engine orders alike (BigQuery cannot
    -- write DuckDB's default NULLS LAST inside a window).
    select
        account_id,
        start_date,
        end_date,
        row_number() over (
            partition by account_id order by start_date nulls first, end_date is null nulls first, end_date nulls first
        ) as position,
        max(end_date) over (
            partition by account_id order by start_date nulls first, end_date is null nulls first, end_date nulls first
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_date,
        max(case when end_date is null then 1 else 0 end) over (
            partition by account_id order by start_date nulls first, end_date is null nulls first, end_date nulls first
            rows between unbounded preceding and 1 preceding
        ) as previous_open_ended
    from subscriptions
),

flagged as (
    -- a subscription opens a new spell when every earlier one ended (plus the grace gap) before it starts
    select
        ordered.*,
        case
            when position = 1 then 1
            when previous_open_ended = 1 then 0
            when date_diff('day', previous_max_end_date, start_date) > $grace_days then 1
            else 0
        end as opens_spell
    from ordered
),

numbered as (
    select
        flagged.*,
        sum(opens_spell) over (
            partition by account_id order by start_date nulls first, end_date is null nulls first, end_date nulls first
            rows between unbounded preceding and current row
        ) as spell_number
    from flagged
),

spells as (
    select
        account_id,
        spell_number,
        min(start_date) as spell_start_date,
        max(end_date) as last_end_date,
        max(case when end_date is null then 1 else 0 end) as is_open_ended,
        count(*) as subscriptions
    from numbered
    group by account_id, spell_number
),

final as (
    select
        account_id,
        spell_number,
        spell_start_date,
        -- an end after as_of has not happened yet: the spell is still running at as_of
        case
            when is_open_ended = 1 or last_end_date > cast($as_of as date) then null
            else last_end_date
        end as spell_end_date,
        subscriptions
    from spells
)

select * from final
