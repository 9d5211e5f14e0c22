-- One row per period grain ('month' or 'quarter') x period x segment (and 'All') with NPS
-- responses: Net Promoter Score from each account's latest response in the period.
--   nps = 100 * (promoters - detractors) / responses            (-100 to 100)
--   95% interval: nps +/- 100 * 1.96 * sqrt((p + d - (p - d)^2) / n), with p and d the promoter
--   and detractor shares and n the responses (the variance of a difference of two shares of one
--   multinomial sample); bounds are clipped to [-100, 100].
with latest as (
    select * from int_stage_nps_latest
),

accounts as (
    select * from stg_accounts
),

classified as (
    select latest.period_grain, latest.period, accounts.segment, latest.category
    from latest
    inner join accounts
        on accounts.account_id = latest.account_id
),

counts as (
    -- per segment and in 'All' (the one roll-up: see int_report_segments)
    select
        period_grain,
        period,
        case when grouping(segment) = 1 then 'All' else segment end as segment,
        count(case when category = 'promoter' then 1 end) as promoters,
        count(case when category = 'passive' then 1 end) as passives,
        count(case when category = 'detractor' then 1 end) as detractors,
        count(*) as responses
    from classified
    group by grouping sets ((period_grain, period, segment), (period_grain, period))
),

shares as (
    select
        counts.*,
        cast(promoters as double) / responses as promoter_share,
        cast(detractors as double) / responses as detractor_share
    from counts
),

intervals as (
    select
        shares.*,
        100 * (promoter_share - detractor_share) as nps,
        100 * 1.959963984540054 * sqrt(
            (promoter_share + detractor_share - (promoter_share - detractor_share) * (promoter_share - detractor_share))
            / responses
        ) as margin
    from shares
),

final as (
    select
        period_grain,
        period,
        segment,
        promoters,
        passives,
        detractors,
        responses,
        promoters - detractors as nps_numerator,
        responses as nps_denominator,
        nps,
        greatest(nps - margin, -100) as nps_lower,
        least(nps + margin, 100) as nps_upper
    from intervals
)

select * from final
