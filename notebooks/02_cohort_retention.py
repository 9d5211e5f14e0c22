import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Cohort retention")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Cohort retention

    How do cohorts retain? Logo and revenue retention by start cohort, month by month since each account's
    first paid month, with immature cells masked (never shown as zero), 95% Wilson intervals on logo
    retention, and the average curve weighted by cohort size.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import charts, kpis, narrative
    from cskpi_analysis.charts import kpis as charts_kpis
    from cskpi_analysis.notebook import warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    return charts_kpis, wh, kpis, mo, narrative


@app.cell
def _(wh, kpis, mo):
    segment = mo.ui.dropdown(options=kpis.segments(wh), value="All", label="Segment")
    grain = mo.ui.radio(options={"Month": "month", "Quarter": "quarter"}, value="Month", label="Cohort grain")
    metric = mo.ui.radio(
        options={"Logo retention": "logo_retention", "Revenue retention": "revenue_retention"},
        value="Logo retention",
        label="Metric",
    )
    mo.hstack([segment, grain, metric], justify="start", gap=2)
    return grain, metric, segment


@app.cell
def _(wh, grain, kpis, segment):
    cells = kpis.cohort_retention(wh, grain.value, segment.value)
    average = kpis.average_retention_curve(wh, grain.value, segment.value)
    return average, cells


@app.cell
def _(cells, charts_kpis, grain, metric, segment):
    charts_kpis.cohort_heatmap(
        cells,
        metric.value,
        f"{'Logo' if metric.value == 'logo_retention' else 'Revenue'} retention by {grain.value}ly start cohort "
        f"({segment.value}); grey = month not complete yet",
    )
    return


@app.cell
def _(cells, mo):
    _masked = int((~cells["is_complete"]).sum())
    mo.md(
        f"{cells['cohort'].nunique()} cohorts, {len(cells):,} observable cells; {_masked} cells fall in the month of "
        "`as_of`, which is not over yet, and are masked. Cells a cohort has not reached have no value at all."
    )
    return


@app.cell
def _(average, cells, charts_kpis, metric, segment):
    charts_kpis.retention_curves_chart(
        cells,
        average,
        metric.value,
        f"Retention curves by cohort ({segment.value})",
    )
    return


@app.cell
def _(cells, metric, mo, narrative):
    mo.md(narrative.cohort_sentence(cells, months_since_start=6, metric=metric.value))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## The average curve

    Pooled over complete cells: the sum of active accounts (or MRR) over the sum at start, so a cohort of
    200 weighs ten times a cohort of 20. Later months rest on fewer, older cohorts.
    """)
    return


@app.cell
def _(average):
    average[average["months_since_start"].isin([0, 1, 3, 6, 12, 18, 24, 30])].round(4)
    return


@app.cell
def _(average, mo, narrative):
    _rows = average.set_index("months_since_start")
    _parts = [
        f"month {k}: {narrative.percent(_rows.loc[k, 'logo_retention'])} of accounts and "
        f"{narrative.percent(_rows.loc[k, 'revenue_retention'])} of starting MRR"
        for k in (6, 12, 24)
        if k in _rows.index
    ]
    mo.md("On average, cohorts keep " + "; ".join(_parts) + "." if _parts else "No cohort has reached month 6 yet.")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ---
    *Method.* A cohort is the accounts whose first paid month (MRR measured at month end) falls in the
    period; months since start count from each account's own first paid month, so quarterly cohorts stay
    comparable. Accounts that churn and come back count as active again. Logo retention intervals are
    95% Wilson score intervals. Revenue retention is net (expansion included), so it can exceed 100%.
    """)
    return


@app.cell
def _(mo, narrative):
    mo.md(narrative.versions_footer())
    return


if __name__ == "__main__":
    app.run()
