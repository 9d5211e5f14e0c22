import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Leading indicators")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Leading indicators

    Do our leading indicators lead? Each indicator (vendor health score, key-feature adoption, usage,
    time to first value, support, NPS, and the CS effort metrics) is measured month by month and set
    against what happened next: churn, contraction and expansion within 3, 6 and 12 months. We ask which
    indicators separate the accounts that churn, how many months of warning each gives, whether the
    vendor's health score is calibrated, whether CS activity tells us anything about outcomes, and which
    accounts to handle this week.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import charts, indicators, narrative
    from cskpi_analysis.charts import indicators as charts_indicators
    from cskpi_analysis.notebook import warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    # indicators whose data were provided, those left out, and sections that cannot be computed here (and why)
    kept, left_out, sections = indicators.availability(wh)
    return charts_indicators, indicators, kept, left_out, mo, narrative, sections, wh


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## What the data can say

    Each indicator is measured from one source (health scores, usage events, milestones, support tickets,
    NPS responses, CS activities). An indicator whose source was not provided, or that takes one value in
    every account-month, is left out rather than ranked on nothing; so is a section that reads a missing source.
    """)
    return


@app.cell
def _(indicators, left_out, mo, sections):
    mo.md(indicators.describe_indicators_left_out(left_out, sections))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Which indicators anticipate the outcome?

    Discrimination is the AUC: the chance that an account-month followed by the outcome ranks riskier on
    the indicator than one that is not (0.5 = no signal, 1 = perfect). Intervals come from resampling
    accounts (200 bootstrap draws), so the months of one account move together.
    """)
    return


@app.cell
def _(mo):
    outcome = mo.ui.dropdown(
        options={"Churn": "churn", "Contraction": "contraction", "Expansion": "expansion"},
        value="Churn",
        label="Outcome",
    )
    horizon = mo.ui.radio(options={"3 months": 3, "6 months": 6, "12 months": 12}, value="6 months", label="Within")
    mo.hstack([outcome, horizon], justify="start", gap=2)
    return horizon, outcome


@app.cell
def _(indicators, wh):
    # every indicator the data support x outcome x horizon, bootstrapped once per build
    matrix = indicators.outcome_matrix(wh, n_boot=200, seed=indicators.SEED)
    return (matrix,)


@app.cell
def _(charts_indicators, horizon, matrix, outcome):
    _cell = matrix[(matrix["outcome"] == outcome.value) & (matrix["horizon"] == horizon.value)]
    (
        charts_indicators.matrix_dot_chart(
            _cell, f"How well each indicator anticipates {outcome.value} within {horizon.value} months"
        )
        if not _cell.empty
        else None
    )
    return


@app.cell
def _(horizon, indicators, matrix, mo, outcome, sections):
    mo.md(
        sections["matrix"].sentence
        if "matrix" in sections
        else indicators.matrix_sentence(matrix, outcome.value, horizon.value)
    )
    return


@app.cell
def _(charts_indicators, matrix):
    charts_indicators.matrix_heatmap(matrix) if not matrix.empty else None
    return


@app.cell
def _(horizon, matrix, mo, outcome):
    # the chosen outcome and horizon, every indicator on one page (the heatmap above shows them all)
    _shown = matrix[(matrix["outcome"] == outcome.value) & (matrix["horizon"] == horizon.value)]
    _columns = [
        "label",
        "kind",
        "outcome",
        "horizon",
        "auc",
        "auc_low",
        "auc_high",
        "higher_means",
        "matches_expected",
        "lift",
        "lift_low",
        "lift_high",
        "n_rows",
        "n_accounts",
        "n_events",
    ]
    mo.ui.table(_shown[_columns].round(3), page_size=max(len(_shown), 1), selection=None)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## How many months of warning?

    Each indicator's mean in the months before churn, for accounts that churned, against accounts that
    stayed (no churn in the next 12 months) of the same segment and tenure. The lead time is the number of
    months before churn over which the two intervals stay apart.
    """)
    return


@app.cell
def _(indicators, kept, wh):
    # every indicator's curves, computed once per build; the picker below only selects one
    curves = indicators.lead_time_curves(wh)
    lead_times = indicators.lead_times_from_curves(curves, kept)
    return curves, lead_times


@app.cell
def _(indicators, kept, mo, sections):
    _options, _default = indicators.lead_indicator_choice(kept)
    lead_indicator = mo.ui.dropdown(options=_options, value=_default, label="Indicator")
    lead_indicator if _options else mo.md(sections["lead_times"].sentence)
    return (lead_indicator,)


@app.cell
def _(charts_indicators, curves, indicators, lead_indicator):
    _item = indicators.indicator(lead_indicator.value) if lead_indicator.value else None
    (
        charts_indicators.lead_time_chart(
            indicators.indicator_curves(curves, _item.id),
            f"{_item.label} in the year before churn",
            _item.unit,
        )
        if _item
        else None
    )
    return


@app.cell
def _(indicators, lead_times, mo, sections):
    mo.md(indicators.lead_time_sentence(lead_times) if "lead_times" not in sections else "")
    return


@app.cell
def _(lead_times):
    lead_times.round(2)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Is the vendor health score calibrated?

    An uncalibrated health score is an opinion dressed up as a number. Three checks: does observed churn
    fall as the score rises (bands, Wilson 95% intervals); once the score is turned into a probability on
    earlier months, does it match what happened on later months (reliability); and does a simple logistic
    refit on our own indicators, trained on the same earlier months, do better on the later ones?
    """)
    return


@app.cell
def _(indicators, sections, wh):
    # bands, reliability and refit backtest, computed once per build (needs health_scores)
    score_bands, reliability, comparison = (
        indicators.health_score_calibration(wh, horizon=3) if "calibration" not in sections else (None, None, None)
    )
    return comparison, reliability, score_bands


@app.cell
def _(charts_indicators, mo, reliability, score_bands, sections):
    (
        mo.hstack(
            [
                charts_indicators.calibration_bands_chart(score_bands, "Churn within 3 months by health-score band"),
                charts_indicators.reliability_chart(reliability, "Predicted vs observed churn (held-out months)"),
            ],
            widths="equal",
        )
        if "calibration" not in sections
        else mo.md(sections["calibration"].sentence)
    )
    return


@app.cell
def _(comparison):
    comparison.round(3) if comparison is not None else None
    return


@app.cell
def _(comparison, indicators, mo, score_bands):
    mo.md(indicators.calibration_sentence(score_bands, comparison, horizon=3) if comparison is not None else "")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Does CS effort show up in outcomes?

    CS check-ins and QBRs measure effort. CSMs visit the accounts they already see at risk, so a raw
    comparison of churn with and without visits mixes who gets visited with what visits achieve. We hold
    the segment and that month's health score fixed (10-point bands, Mantel-Haenszel).
    """)
    return


@app.cell
def _(indicators, sections, wh):
    # computed once per build (needs cs_activities and health_scores)
    effort, effort_summary = (
        indicators.effort_comparison(wh, "check_ins", "churn", 3) if "effort" not in sections else (None, None)
    )
    return effort, effort_summary


@app.cell
def _(charts_indicators, effort, mo, sections):
    (
        charts_indicators.activity_share_chart(effort, "CSMs check in more where the health score is low")
        if effort is not None
        else mo.md(sections["effort"].sentence)
    )
    return


@app.cell
def _(charts_indicators, effort):
    (
        charts_indicators.effort_chart(effort, "Churn within 3 months with and without a check-in, by health band")
        if effort is not None
        else None
    )
    return


@app.cell
def _(effort_summary, indicators, mo):
    mo.md(indicators.effort_sentence(effort_summary) if effort_summary is not None else "")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Portfolio coverage

    The share of paying accounts with any CS activity in the 90 days to the end of the latest complete
    month. Silent accounts are the classic blind spot of churn.
    """)
    return


@app.cell
def _(indicators, sections, wh):
    coverage, coverage_by_health = indicators.coverage_tables(wh, sections)  # computed once per build
    return coverage, coverage_by_health


@app.cell
def _(charts_indicators, coverage, coverage_by_health, mo, sections):
    mo.hstack(
        [
            charts_indicators.coverage_chart(coverage, "Coverage by segment")
            if coverage is not None
            else mo.md(sections["coverage"].sentence),
            charts_indicators.coverage_chart(coverage_by_health, "Coverage by health-score band")
            if coverage_by_health is not None
            else mo.md(sections["coverage_by_health"].sentence),
        ],
        widths="equal",
    )
    return


@app.cell
def _(coverage, indicators, mo):
    mo.md(indicators.coverage_sentence(coverage) if coverage is not None else "")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Accounts to handle this week

    Ranked by expected MRR at risk: the refit model's probability of churn within 3 months times the
    account's MRR, in the latest complete month. The cause is the indicator that dropped most against the
    account's own average of the three months before.
    """)
    return


@app.cell
def _(indicators, sections, wh):
    # one model for the whole portfolio, fitted once per build (on the indicators the data support)
    worklist = indicators.worklist(wh, top=25) if "worklist" not in sections else None
    return (worklist,)


@app.cell
def _(mo, sections, worklist):
    (
        mo.ui.table(worklist.round({"churn_risk": 3, "mrr_at_risk": 0}), page_size=25, selection=None)
        if worklist is not None
        else mo.md(sections["worklist"].sentence)
    )
    return


@app.cell
def _(indicators, mo, worklist):
    mo.md(indicators.worklist_sentence(worklist) if worklist is not None else "")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.vstack(
        [
            mo.md("## Appendix"),
            mo.accordion(
                {
                    "Method and caveats": mo.md(
                        r"""
            - **Grain.** One row per account per complete month while paying (`mart_indicator_outcomes`).
              Indicators use nothing after the month's last day; time to first value is "so far" until reached.
            - **Censoring.** An outcome whose horizon runs past the last complete month is unknown and the row is
              left out of that comparison, never counted as "did not churn".
            - **Discrimination and lift** (fight-churn's metric cohorts): AUC is the Mann-Whitney statistic; lift is
              the outcome rate in the riskiest decile over the overall rate. Tied values share a decile, so an
              indicator that is mostly zero may have no top decile (lift not shown).
            - **Pooled across segments.** An indicator that differs by segment (e.g. response times) can look
              predictive because segments churn at different rates; read it with the segment pages.
            - **Association, not effect.** None of this says that moving an indicator moves churn; the effort section
              shows how far a raw association can mislead.
            - **Backtest.** The calibration and refit are trained on earlier months and scored on the last six months
              with an observable outcome, with no overlap between training outcomes and test months.
                        """
                    )
                }
            ),
        ]
    )
    return


@app.cell
def _(mo, narrative):
    mo.md(narrative.versions_footer())
    return


if __name__ == "__main__":
    app.run()
