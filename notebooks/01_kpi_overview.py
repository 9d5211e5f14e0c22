import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="KPI overview")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Customer Success KPI overview

    How watertight is the base, and is it growing? Net and gross revenue retention, logo and revenue churn,
    expansion and contraction, month by month and over the trailing twelve months, by segment, with the counts
    behind every rate and a sentence on what moved them.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import (
        catalogue,
        charts,
        indicators,
        kpis,
        narrative,
        overview,
        stage_kpis,
        summary,
    )
    from cskpi_analysis.charts import kpis as charts_kpis
    from cskpi_analysis.notebook import warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    return catalogue, charts_kpis, wh, indicators, kpis, mo, narrative, overview, stage_kpis, summary


@app.cell
def _(wh, kpis, mo):
    segment = mo.ui.dropdown(options=kpis.segments(wh), value="All", label="Segment")
    segment
    return (segment,)


@app.cell
def _(wh, kpis, segment):
    headline = kpis.headline_frame(wh, segment.value)
    monthly = kpis.kpis_monthly(wh, segment.value)
    t12m = kpis.retention_t12m(wh, segment.value)
    return headline, monthly, t12m


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Executive summary
    """)
    return


@app.cell
def _(narrative, wh):
    # the same for every segment: computed once, not on each segment change
    nrr_change = "All accounts: " + narrative.nrr_change_sentence(wh)
    return (nrr_change,)


@app.cell
def _(headline, mo, monthly, narrative, nrr_change, segment, summary):
    mo.md(
        "\n\n".join(
            [
                f"**Segment: {narrative.user_text(segment.value)}.** " + summary.monthly_growth_sentence(monthly),
                narrative.retention_level_sentence(headline),
                narrative.gap_sentence(headline),
                nrr_change,
            ]
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Key metrics and trends

    Headline KPIs at the latest complete month. Trailing-twelve-month (T12M) retention follows the accounts
    that paid twelve months earlier; monthly rates are pooled over the last twelve complete months
    (sum of numerators over sum of denominators). Definitions: `docs/definitions.md`.
    """)
    return


@app.cell
def _(headline):
    headline[["label", "value", "numerator", "denominator", "window"]].round(4)
    return


@app.cell
def _(charts_kpis, segment, t12m):
    charts_kpis.rate_trend_chart(
        t12m,
        ["nrr_t12m", "grr_t12m", "logo_retention_t12m"],
        f"Trailing-twelve-month retention ({segment.value})",
        reference=1.0,
        subtitle="Accounts paying twelve months earlier: revenue kept with (NRR) and without (GRR) expansion",
    )
    return


@app.cell
def _(charts_kpis, monthly, segment):
    charts_kpis.rate_trend_chart(
        monthly[monthly["is_complete_month"]],
        ["logo_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate"],
        f"Monthly churn rates ({segment.value})",
        subtitle="Share of accounts and of MRR paying at the start of the month that was lost in the month",
    )
    return


@app.cell
def _(charts_kpis, monthly, segment):
    charts_kpis.rate_trend_chart(
        monthly[monthly["is_complete_month"]],
        ["expansion_rate", "contraction_rate"],
        f"Expansion and contraction, share of starting MRR ({segment.value})",
    )
    return


@app.cell
def _(charts_kpis, monthly):
    charts_kpis.mrr_movements_chart(monthly[monthly["is_complete_month"]])
    return


@app.cell
def _(wh, kpis, segment):
    bridge = kpis.mrr_bridge(wh, segment.value, months=12)
    return (bridge,)


@app.cell
def _(bridge, charts_kpis, segment):
    charts_kpis.mrr_bridge_chart(
        bridge,
        f"MRR bridge, {bridge.attrs['first_month']:%b %Y} to {bridge.attrs['last_month']:%b %Y} ({segment.value})",
    )
    return


@app.cell
def _(bridge, mo, narrative):
    _steps = bridge.set_index("step")["amount"]
    mo.md(
        narrative.markdown_text(
            f"MRR went from ${_steps['MRR at start']:,.0f} to ${_steps['MRR at end']:,.0f}: new business added "
            f"${_steps['New']:,.0f} and expansion ${_steps['Expansion']:,.0f}, while churn took "
            f"${-_steps['Churn']:,.0f} and contraction ${-_steps['Contraction']:,.0f}."
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## KPIs by lifecycle stage

    Each stage has its own question. Pick one to see only its KPIs, leading indicators (which warn) before
    lagging ones (which keep score), each lagging KPI beside the leading one that explains it. Every KPI is
    defined once, in `docs/definitions.md`.
    """)
    return


@app.cell
def _(catalogue, mo):
    stage = mo.ui.dropdown(
        options={info.title: info.id for info in catalogue.stages()}, value="Retention", label="Lifecycle stage"
    )
    stage
    return (stage,)


@app.cell
def _(wh, segment, stage, stage_kpis):
    stage_table = stage_kpis.stage_view(wh, stage.value, segment.value)
    stage_table[
        ["name", "indicator", "month", "value", "numerator", "denominator", "paired_name", "paired_value"]
    ].round(4)
    return (stage_table,)


@app.cell
def _(catalogue, mo, stage, stage_table):
    _info = next(info for info in catalogue.stages() if info.id == stage.value)
    _missing = stage_table.loc[stage_table["value"].isna(), "name"].tolist()
    _note = catalogue.too_many_kpis_note(len(stage_table))
    mo.md(
        f"**{_info.title}: {_info.question}** {int((stage_table['indicator'] == 'leading').sum())} leading and "
        f"{int((stage_table['indicator'] == 'lagging').sum())} lagging KPIs."
        + (
            f" No value here for {', '.join(_missing)}: they are account-level models, shown in the "
            "leading-indicators and survival reports."
            if _missing
            else ""
        )
        + (f"\n\n*{_note}*" if _note else "")
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Customer health highlights

    Each lagging KPI beside a leading indicator that can explain it. The vendor health score is shown as it
    is; the leading-indicators report tests whether it actually predicts churn.
    """)
    return


@app.cell
def _(wh, overview, segment):
    health = overview.health_distribution(wh, segment.value)
    health.round(3)
    return (health,)


@app.cell
def _(health, mo, overview):
    mo.md(overview.health_sentence(health))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Churn and expansion risks

    The largest losses and gains of the last three complete months, by MRR (account names and ids only).
    """)
    return


@app.cell
def _(wh, overview, segment):
    churned = overview.largest_movements(wh, "churn", segment=segment.value)
    contracted = overview.largest_movements(wh, "contraction", segment=segment.value)
    expanded = overview.largest_movements(wh, "expansion", segment=segment.value)
    return churned, contracted, expanded


@app.cell
def _(churned, contracted, mo, narrative, overview):
    mo.md(narrative.markdown_text(overview.risk_sentence(churned, contracted)))
    return


@app.cell
def _(wh, indicators, segment):
    # risk from one model fitted on the whole portfolio once per build (the same as in 04)
    worklist = indicators.worklist(wh, segment.value, top=10)
    return (worklist,)


@app.cell
def _(indicators, mo, worklist):
    mo.md("**Accounts to handle this week.** " + indicators.worklist_sentence(worklist))
    return


@app.cell
def _(worklist):
    worklist.round(3)
    return


@app.cell
def _(churned, mo):
    mo.vstack([mo.md("**Largest churns** (last three complete months)"), churned])
    return


@app.cell
def _(contracted, mo):
    mo.vstack([mo.md("**Largest contractions** (the ten the sentence above adds up)"), contracted])
    return


@app.cell
def _(expanded, mo):
    mo.vstack([mo.md("**Largest expansions**"), expanded])
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## By segment

    A global NRR mixes opposite realities; the useful read happens by segment.
    """)
    return


@app.cell
def _(wh, overview):
    by_segment = overview.segment_headlines(wh)
    by_segment.round(4)
    return (by_segment,)


@app.cell
def _(by_segment, charts_kpis):
    charts_kpis.segment_bars_chart(
        by_segment[by_segment["segment"] != "All"][["segment", "grr_t12m", "nrr_t12m"]],
        "grr_t12m",
        "Trailing-twelve-month GRR by segment",
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Actions and next steps
    """)
    return


@app.cell
def _(by_segment, mo, overview):
    mo.md("\n".join(f"{number}. {step}" for number, step in enumerate(overview.next_steps(by_segment), start=1)))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## How robust are these numbers?

    The same KPIs under the alternative definitions an analyst might reasonably choose: MRR measured at the
    start of the month, a 31-day re-signup grace gap, and returning accounts counted as new. A large move
    means the definition matters and must be agreed before the numbers are compared with anyone else's.
    """)
    return


@app.cell
def _(wh, kpis, segment):
    # computed once for every segment (then kept beside the warehouse); the dropdown only filters
    kpis.sensitivity(wh, segment.value).round(4)
    return


@app.cell
def _(mo, narrative):
    mo.md(narrative.versions_footer())
    return


if __name__ == "__main__":
    app.run()
