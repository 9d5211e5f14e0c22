import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Day-30 behaviour vs month-12 churn")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Does day-30 behaviour predict month-12 churn?

    Among accounts still paying 30 days after their first paid day, does what they did in those first
    30 days (using the key features, being active, reaching first value, opening support tickets) predict
    whether they churn by month 12, how strongly, and how sure can we be? A landmark survival analysis:
    Kaplan-Meier curves, log-rank tests, a stratified Cox model and a logistic model validated on later cohorts.
    """)
    return


@app.cell
def _():
    import marimo as mo
    import pandas as pd

    from cskpi_analysis import charts, narrative, survival
    from cskpi_analysis.charts import survival as charts_survival
    from cskpi_analysis.narrative import versions_footer
    from cskpi_analysis.notebook import landmark_and_horizon, warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    return charts_survival, landmark_and_horizon, mo, narrative, pd, survival, versions_footer, wh


@app.cell
def _(landmark_and_horizon, mo, survival):
    # day 30 and 12 months unless the command line names others (cskpi build --warm fits every pair)
    _landmark, _horizon = landmark_and_horizon()
    landmark = mo.ui.dropdown(options=survival.LANDMARK_CHOICES, value=_landmark, label="Landmark")
    horizon = mo.ui.dropdown(options=survival.HORIZON_CHOICES, value=_horizon, label="Horizon")
    mo.hstack([landmark, horizon], justify="start")
    return horizon, landmark


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## The landmark cohort

    Day 0 is each account's first paid day. Only accounts still paying on the landmark day are analysed,
    and their behaviour is measured in the days before it: an account that churned on day 10 never had the
    chance to use a feature by day 30, and counting it would make the feature look protective.
    """)
    return


@app.cell
def _(wh, horizon, landmark, survival):
    # another landmark or horizon reads its own warehouse, built once beside the main one; the models
    # below are kept beside it (keep=landmark_wh), so a landmark or horizon seen once is not refitted
    landmark_wh = wh.with_parameters(landmark_days=landmark.value, horizon_days=horizon.value)
    frame = survival.survival_frame(landmark_wh, landmark.value, horizon.value)
    cohort = survival.landmark_cohort(landmark_wh)
    cohort
    return cohort, frame, landmark_wh


@app.cell
def _(cohort, frame, mo, survival):
    mo.md(survival.describe_cohort(cohort, frame))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## The answer: verdicts

    One line per day-30 behaviour: does it predict churn by the horizon once the others are accounted for,
    how strongly, and how sure can we be. The evidence follows: curves, risks, the Cox and logistic models.
    """)
    return


@app.cell
def _(behaviour_list, cox, frame, landmark_wh, left_out, logrank, mo, narrative, survival):
    _verdicts = survival.verdicts(frame, cox, behaviour_list, logrank, keep=landmark_wh) if cox else None
    mo.md(
        "\n".join(
            f"- **{narrative.user_text(row.behaviour)}.** {row.verdict}" + (f" *{row.warning}*" if row.warning else "")
            for row in _verdicts.itertuples()
        )
        if cox
        else survival.nothing_to_fit(left_out)
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## What the data can say

    Each day-30 covariate is measured from one source (usage events, milestones, support tickets). A
    covariate whose source was not provided, or that is the same for every account in the cohort, is left
    out rather than estimated from nothing.
    """)
    return


@app.cell
def _(frame, mo, survival):
    covariates, left_out = survival.available_covariates(frame)
    mo.md(survival.describe_left_out(left_out))
    return covariates, left_out


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Retention by day-30 behaviour

    Kaplan-Meier curves per band of each behaviour, with 95% confidence bands. The log-rank tests below ask
    whether the curves differ; testing several behaviours at once, p-values are Holm-adjusted.
    """)
    return


@app.cell
def _(frame, landmark_wh, survival):
    behaviour_list = survival.behaviours(frame)
    logrank = survival.logrank_tests(frame, behaviour_list, keep=landmark_wh)
    return behaviour_list, logrank


@app.cell
def _(behaviour_list, left_out, mo, survival):
    behaviour_choice = mo.ui.dropdown(
        options={b.label: b.name for b in behaviour_list},
        value=behaviour_list[-1].label if behaviour_list else None,
        label="Behaviour",
    )
    behaviour_choice if behaviour_list else mo.md(survival.nothing_to_fit(left_out))
    return (behaviour_choice,)


@app.cell
def _(behaviour_choice, behaviour_list, charts_survival, frame, landmark_wh, survival):
    _chosen = next((b for b in behaviour_list if b.name == behaviour_choice.value), None)
    (
        charts_survival.km_chart(
            survival.kaplan_meier_curves(frame, _chosen, keep=landmark_wh), int(frame.attrs["horizon_days"])
        )
        if _chosen
        else None
    )
    return


@app.cell
def _(logrank, mo, survival):
    mo.vstack([logrank.round(4), mo.md(survival.describe_logrank(logrank))])
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Absolute churn risk by the horizon

    The share of each band that churned by the horizon (1 minus the Kaplan-Meier survival), with 95% CIs.
    Hazard ratios say "how much more", this says "out of how many": what a CS leader can plan capacity on.
    """)
    return


@app.cell
def _(behaviour_list, frame, landmark_wh, left_out, mo, survival):
    risk = survival.risk_table(frame, behaviour_list, keep=landmark_wh)
    risk.round(3) if behaviour_list else mo.md(survival.nothing_to_fit(left_out))
    return (risk,)


@app.cell
def _(frame, mo, risk, survival):
    mo.md(
        " ".join(
            survival.describe_risk(risk[risk["behaviour"] == b], int(frame.attrs["horizon_days"]))
            for b in dict.fromkeys(risk["behaviour"])
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Cox model: which behaviours matter once the others are accounted for?

    One model with every day-30 covariate, stratified by billing period (annual plans churn only at renewal)
    and segment (each has its own base hazard). A hazard ratio above 1 means more churn. The
    proportional-hazards check (Schoenfeld residuals) is shown below the plot; a covariate that fails it is
    refitted as a stratum, and both fits are plotted.
    """)
    return


@app.cell
def _(covariates, frame, landmark_wh, survival):
    # only the covariates the data support (see "What the data can say")
    cox, refits = survival.cox_with_ph_refits(frame, covariates, keep=landmark_wh) if covariates else (None, [])
    return cox, refits


@app.cell
def _(charts_survival, cox, left_out, mo, pd, refits, survival):
    (
        charts_survival.forest_plot(
            pd.concat([cox.hazard_ratios, *[r.hazard_ratios for r in refits]], ignore_index=True)
        )
        if cox
        else mo.md(survival.nothing_to_fit(left_out))
    )
    return


@app.cell
def _(cox, mo, pd, refits, survival):
    _ph = pd.concat([cox.ph_test, *[r.ph_test for r in refits]], ignore_index=True).round(4) if cox else None
    _notes = [mo.md(f"**Warning:** {w}") for w in cox.warnings] if cox else []
    (
        mo.vstack([mo.md(survival.describe_cox(cox)), mo.md("**Proportional-hazards test**"), _ph, *_notes])
        if cox
        else None
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Logistic model: churn by month 12, checked on later cohorts

    Among accounts observable to the horizon, the odds of churning by it, adjusted for segment and billing
    period. Discrimination (AUC), accuracy (Brier score) and calibration by decile, in sample and on the later
    cohorts held out (fitted on the earlier ones only).
    """)
    return


@app.cell
def _(covariates, frame, landmark_wh, left_out, mo, survival):
    logistic = survival.logistic_model(frame, covariates, keep=landmark_wh) if covariates else None
    logistic.odds_ratios.round(3) if logistic else mo.md(survival.nothing_to_fit(left_out))
    return (logistic,)


@app.cell
def _(charts_survival, logistic, mo, pd, survival):
    _calibration = (
        pd.concat(
            [
                logistic.calibration.assign(sample="in sample"),
                logistic.out_of_time_calibration.assign(sample="later cohorts (held out)"),
            ],
            ignore_index=True,
        )
        if logistic
        else None
    )
    (
        mo.vstack([charts_survival.calibration_chart(_calibration), mo.md(survival.describe_logistic(logistic))])
        if logistic
        else None
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Time to first value as a time-to-event outcome

    How long accounts take to reach first value. Accounts that have not reached it are censored at their
    first churn or at the export date, not counted as "never": a naive average over those who got there
    would understate the wait.
    """)
    return


@app.cell
def _(charts_survival, mo, narrative, survival, wh):
    # without a first value, a "time to first value" would only be tenure: left out instead. First value
    # does not depend on the landmark or horizon, so this reads the main warehouse and does not rerun with them
    ttfv_left_out = survival.first_value_left_out(wh)
    ttfv = survival.ttfv_frame(wh) if not ttfv_left_out else None
    ttfv_quantiles = survival.ttfv_quantiles(ttfv, keep=wh) if not ttfv_left_out else None
    charts_survival.ttfv_chart(survival.ttfv_curve(ttfv, keep=wh)) if not ttfv_left_out else mo.md(
        narrative.user_text(ttfv_left_out.sentence)
    )
    return ttfv_left_out, ttfv_quantiles


@app.cell
def _(mo, survival, ttfv_left_out, ttfv_quantiles):
    (mo.vstack([ttfv_quantiles.round(1), mo.md(survival.describe_ttfv(ttfv_quantiles))]) if not ttfv_left_out else None)
    return


@app.cell
def _(frame, landmark_wh, mo, survival, ttfv_left_out):
    _risk = (
        survival.risk_at_horizon(frame, survival.ttfv_behaviour(frame), keep=landmark_wh) if not ttfv_left_out else None
    )
    (
        mo.vstack([_risk.round(3), mo.md(survival.describe_risk(_risk, int(frame.attrs["horizon_days"])))])
        if not ttfv_left_out
        else None
    )
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
            - **Landmarking and immortal time.** Day 0 is the first paid day; only accounts paying on the landmark day
              enter, and every covariate is measured in the days before it. Covariates are declared with their
              observation window and the code refuses any that ends after the landmark ("ever adopted", uncapped time to
              first value): accounts that survive longer have more time to adopt, which would make anything look
              protective.
            - **Censoring.** Accounts still paying at the export date are censored, not retained; follow-up stops at
              the horizon. The first churn is the event even if the account came back later.
            - **Annual plans** churn only at renewal, so the Cox model gives billing periods (and segments) their own
              baseline hazard. A renewal that falls on day 366 (a leap year in the first year) is after a 365-day
              horizon.
            - **Prediction, not causation.** Accounts that adopt a feature differ in many ways from those that do not.
              A predictive behaviour is a candidate for an experiment (change onboarding for a random half), not a
              proven lever. Small bands and few churns per covariate are flagged.
            - Definitions and formulas: `docs/survival.md`; code: `cskpi_analysis/survival/` and the SQL models
              `int_account_spells`, `int_landmark_*`, `mart_account_landmark`.
                        """
                    )
                }
            ),
        ]
    )
    return


@app.cell
def _(mo, versions_footer):
    mo.md(versions_footer())
    return


if __name__ == "__main__":
    app.run()
