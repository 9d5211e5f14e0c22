-- One row per period grain ('month' or 'quarter') x period x account that answered the NPS
-- survey in the period: the account's latest response in the period (later answers replace
-- earlier ones, so a chatty account counts once), classified as
--   promoter 9-10, passive 7-8, detractor 0-6.
with responses as (
    select * from stg_nps_responses
    where cast(responded_at as date) <= cast($as_of as date)
),

periods as (
    select
        'month' as period_grain,
        cast(date_trunc('month', responded_at) as date) as period,
        account_id,
        responded_at,
        score
    from responses
    union all
    select
        'quarter' as period_grain,
        cast(date_trunc('quarter', responded_at) as date) as period,
        account_id,
        responded_at,
        score
    from responses
),

ranked as (
    -- newest first; ties on the timestamp broken by the higher score, so the result is deterministic
    select
        periods.*,
        row_number() over (
            partition by period_grain, period, account_id order by responded_at desc, score desc
        ) as recency_rank
    from periods
),

final as (
    select
        period_grain,
        period,
        account_id,
        responded_at,
        score,
        case when score >= 9 then 'promoter' when score >= 7 then 'passive' else 'detractor' end as category
    from ranked
    where recency_rank = 1
)

select * from final
