import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Executive summary")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Executive summary

    The Customer Success page for leadership, in the order a VP reads it: the answer in five sentences, the five
    headline KPIs against last month, last quarter and last year (and against your targets), the risks to work
    now, the actions with the MRR at stake, and what went well. Every number links back to a detail report.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import overview, summary
    from cskpi_analysis.notebook import period, warehouse

    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    return mo, overview, period, summary, wh


@app.cell
def _(mo, period):
    cadence = mo.ui.radio(
        options={"Monthly": "month", "Quarterly": "quarter"},
        value={"month": "Monthly", "quarter": "Quarterly"}[period()],
        label="Cadence",
    )
    cadence
    return (cadence,)


@app.cell
def _(cadence, overview, summary, wh):
    card = summary.scorecard(wh, cadence.value)
    by_segment = overview.segment_headlines(wh)
    months_back = 1 if cadence.value == "month" else 3
    churned = overview.largest_movements(wh, "churn", months=months_back, limit=5)
    contracted = overview.largest_movements(wh, "contraction", months=months_back, limit=5)
    expanded = overview.largest_movements(wh, "expansion", months=months_back, limit=5)
    renewals = summary.renewals_due(wh)
    worklist = summary.at_risk_list(wh, top=10)
    at_risk, base = summary.mrr_at_risk(wh)
    actions = summary.actions(card, overview.next_steps(by_segment), worklist, renewals, contracted)
    return actions, at_risk, base, by_segment, card, churned, contracted, expanded, renewals


@app.cell
def _(actions, at_risk, base, by_segment, card, mo, renewals, summary, wh):
    _action = actions.iloc[0]["action"] if not actions.empty else "No action stands out this period."
    mo.md(
        f"## The answer, {card.attrs['month']:%B %Y}\n\n"
        + "\n".join(
            f"- {sentence}"
            for sentence in (
                summary.growth_sentence(card),
                summary.segment_sentence(by_segment),
                summary.market_sentence(wh),
                summary.risk_sentence(at_risk, base, renewals),
                "First action: " + _action,
            )
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Key metrics and trends

    MRR and trailing-twelve-month NRR and GRR are read at the period's last complete month; logo churn is the
    monthly rate pooled over the period. Rates change in percentage points (pp), MRR in percent. Market is the
    verdict against the closest curated public benchmark, on the benchmark's own basis (the benchmarks report has
    every source and definition). Status is against the `[targets]` of `cskpi.toml` when set, otherwise against
    a year ago. Definitions:
    `docs/definitions.md`; every rate with its numerator and denominator: the KPI overview.
    """)
    return


@app.cell
def _(card, summary):
    summary.scorecard_table(card)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Churn and expansion risks

    The largest churns, contractions and expansions of the period, and the annual renewals due in the next
    90 days, largest MRR first (account names and ids only).
    """)
    return


@app.cell
def _(churned, contracted, expanded, mo, renewals, summary):
    _columns = ["account_name", "segment", "month", "previous_mrr", "mrr", "movement_mrr"]
    mo.vstack(
        [
            mo.md("**Largest churns**"),
            summary.present(churned, _columns),
            mo.md("**Largest contractions**"),
            summary.present(contracted, _columns),
            mo.md("**Largest expansions**"),
            summary.present(expanded, _columns),
            mo.md(f"**Renewals due in the next 90 days** ({len(renewals):,}; the ten largest)"),
            summary.present(
                renewals.head(10),
                ["account_name", "segment", "plan", "renewal_date", "days_to_renewal", "mrr", "ends_before_renewal"],
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Actions and next steps

    Each action with the MRR it protects, and the report that has the detail.
    """)
    return


@app.cell
def _(actions, summary):
    summary.present(actions, ["action", "mrr_at_stake", "report"])
    return


@app.cell
def _(card, expanded, mo, summary):
    _wins, _learnings = summary.wins_and_learnings(card, expanded)
    mo.md(
        "## Wins and learnings\n\n**Wins**\n\n"
        + ("\n".join(f"- {w}" for w in _wins) or "- None this period.")
        + "\n\n**Learnings**\n\n"
        + ("\n".join(f"- {item}" for item in _learnings) or "- No headline KPI worsened on a year ago.")
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## The detail reports

    - [Data quality](00_data_quality.html): what was loaded, and what is missing.
    - [KPI overview](01_kpi_overview.html): every rate by month and segment, with its counts.
    - [Cohort retention](02_cohort_retention.html): how each start cohort keeps its logos and revenue.
    - [Day-30 survival](03_day30_survival.html): does early behaviour predict churn by month 12?
    - [Leading indicators](04_leading_indicators.html): which signals lead churn, and the at-risk list.
    - [Benchmarks](05_benchmarks.html): our numbers against the market, with each source's definition.
    """)
    return


if __name__ == "__main__":
    app.run()
