import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Data quality")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Data quality: what did we load?

    Before any KPI, an analyst's first look at their own exports: which tables arrived, how many rows and
    accounts they hold, which months they cover, what validation flagged, and which paying accounts never
    show up in the product data.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import charts, narrative, quality
    from cskpi_analysis.charts import kpis as charts_kpis
    from cskpi_analysis.notebook import warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    config = wh.config
    validation = wh.validation  # the report of the validation that preceded the build
    return charts_kpis, config, mo, narrative, quality, validation, wh


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## What was loaded
    """)
    return


@app.cell
def _(wh, quality):
    summary = quality.table_summary(wh)
    summary
    return (summary,)


@app.cell
def _(config, mo, quality, summary):
    mo.md(quality.date_range_sentence(summary, config.as_of))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## What validation flagged

    Errors stop every analysis; warnings are listed here for the analyst to judge.
    """)
    return


@app.cell
def _(mo, narrative, validation):
    _lines = [f"- {narrative.user_text(problem)}" for problem in validation.warnings] or [
        "- No warnings: every check passed."
    ]
    mo.md(f"**{len(validation.errors)} errors, {len(validation.warnings)} warnings.**\n\n" + "\n".join(_lines))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Coverage per table and month

    A month with no rows for a table that has rows before and after it is a gap in the export, and every
    KPI that reads that table is wrong for that month.
    """)
    return


@app.cell
def _(charts_kpis, wh, quality):
    coverage = quality.monthly_coverage(wh)
    charts_kpis.coverage_heatmap(coverage)
    return (coverage,)


@app.cell
def _(coverage, mo, quality):
    gaps = quality.coverage_gaps(coverage)
    mo.md(
        "No table has an empty month inside its date range."
        if gaps.empty
        else f"{len(gaps)} empty months inside a table's range: "
        + ", ".join(f"{row.table} {row.month:%b %Y}" for row in gaps.itertuples())
        + ". Check the export before trusting those months."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Product usage per day
    """)
    return


@app.cell
def _(charts_kpis, wh, quality):
    daily = quality.events_per_day(wh)
    charts_kpis.daily_activity_chart(daily)
    return (daily,)


@app.cell
def _(daily, mo):
    mo.md(
        "No usage events were provided."
        if daily.empty
        else f"{int(daily['events'].sum()):,} events over {len(daily):,} days; the busiest day had "
        f"{int(daily['events'].max()):,} events and {int(daily['active_accounts'].max()):,} active accounts."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Paying accounts that never use the product

    Silent accounts are the classic blind spot of churn: they pay, but nothing in the product data says
    whether they get value.
    """)
    return


@app.cell
def _(wh, quality):
    provided = quality.sources(wh)  # without a usage_events table, no account can be called silent
    silent = quality.accounts_without_usage(wh)
    silent.round(4) if provided.has("usage_events") else None
    return provided, silent


@app.cell
def _(mo, provided, quality, silent):
    mo.md(quality.silent_accounts_sentence(silent, provided))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ---
    *Method.* Files are read through DuckDB without loading them into memory; `cskpi validate` runs the
    same checks from the command line. Dates after `as_of` are errors, so nothing here lies in the future.
    """)
    return


@app.cell
def _(mo):
    from cskpi_analysis.narrative import versions_footer

    mo.md(versions_footer())
    return


if __name__ == "__main__":
    app.run()
