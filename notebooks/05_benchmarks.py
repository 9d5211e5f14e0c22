import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Benchmarks")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Are our numbers good? KPIs against category benchmarks

    Are our numbers good? An absolute retention figure says little on its own: 88% is weak when peers keep
    94% and strong when they keep 80%. Here our NRR, GRR and churn are set beside public category benchmarks
    for companies of the same contract size or segment, each with its source, year and definition, a warning
    wherever our definition differs from the benchmark's, and no verdict where the two cannot be compared.
    """)
    return


@app.cell
def _():
    import marimo as mo

    from cskpi_analysis import benchmarks, charts, kpis, narrative
    from cskpi_analysis.charts import benchmarks as charts_benchmarks
    from cskpi_analysis.narrative import versions_footer
    from cskpi_analysis.notebook import warehouse

    charts.enable_theme()
    wh = warehouse()  # built once by 'cskpi build'; opened read-only here
    return benchmarks, charts_benchmarks, wh, kpis, mo, narrative, versions_footer


@app.cell
def _(wh, kpis, mo):
    segment = mo.ui.dropdown(options=kpis.segments(wh), value="All", label="Segment")
    segment
    return (segment,)


@app.cell
def _(benchmarks, wh, kpis, segment):
    benchmark_table = benchmarks.load_benchmarks()
    monthly = kpis.kpis_monthly(wh, segment.value)
    t12m = kpis.retention_t12m(wh, segment.value)
    user_kpis = benchmarks.user_kpis_from_marts(monthly, t12m, segment=segment.value)
    acv = benchmarks.average_acv_from_marts(monthly, segment=segment.value)
    band = benchmarks.acv_band(acv, benchmark_table) if acv is not None else None
    comparison = benchmarks.compare(user_kpis, benchmark_table, acv=acv)
    return acv, band, benchmark_table, comparison, user_kpis


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## The answer: good numbers in a bad market?

    A number that looks healthy on its own can still trail the market, and a weak-looking one can lead it.
    One sentence each for NRR, GRR and logo churn, using the closest peer group and the most reliable,
    most recent comparable source.
    """)
    return


@app.cell
def _(benchmarks, comparison, mo, narrative):
    mo.md(
        "\n\n".join(
            narrative.markdown_text(text)
            for text in [
                benchmarks.market_context_sentence(comparison),
                *benchmarks.reconciliation_sentences(comparison),
            ]
        )
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Our KPIs

    What we compare, as the KPI engine measures it at the latest complete month: monthly rates pooled over the
    last twelve complete months (sum of numerators over sum of denominators), and trailing-twelve-month (T12M)
    retention of the accounts that paid twelve months earlier. Every rate comes with its numerator and
    denominator. Each KPI is named by its id in the KPI catalogue (`kpi`, e.g. `net_revenue_retention_t12m`),
    the same id as in the other reports; its period and form follow from it. Definitions: `docs/definitions.md`.
    """)
    return


@app.cell
def _(benchmarks, user_kpis):
    our_kpis = benchmarks.user_kpis_frame(user_kpis)
    our_kpis[["kpi", "period", "form", "value", "numerator", "denominator", "as_of_month"]].round(4)
    return (our_kpis,)


@app.cell
def _(mo, narrative, our_kpis, segment):
    _value = our_kpis.set_index("kpi")["value"]
    mo.md(
        f"**Segment {narrative.user_text(segment.value)}, measured at {narrative.month_label(our_kpis['as_of_month'].iloc[0])}.** "
        f"Over the trailing twelve months the accounts of a year ago kept {narrative.percent(_value.get('net_revenue_retention_t12m'))} "
        f"of their revenue with expansion (NRR) and {narrative.percent(_value.get('gross_revenue_retention_t12m'))} without it (GRR); "
        f"{narrative.percent(_value.get('logo_retention_t12m'))} of them are still customers. Month by month, "
        f"{narrative.percent(_value.get('logo_churn_rate'), 2)} of the accounts paying at the start of a month left in it."
    )
    return


@app.cell
def _(acv, band, mo, narrative, segment):
    mo.md(
        narrative.markdown_text(
            f"**Contract size.** The average annual contract value (ACV, 12 × MRR per account at the start of the "
            f"latest complete month) of segment {narrative.user_text(segment.value)} is **${acv:,.0f}**, which puts it in the benchmark "
            f"band **{narrative.user_text(band or 'none')}**. Revenue retention is compared with companies of that band; a KPI with no "
            "band figure falls back to all companies surveyed."
        )
        if acv is not None
        else f"**Contract size.** Segment {narrative.user_text(segment.value)} had no paying accounts at the start of the latest complete "
        "month, so it has no ACV band: every KPI is compared with all companies surveyed."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Compared with the market

    For each KPI, the benchmarks of the same KPI (or its exact complement: logo retention = 1 − logo churn),
    for the closest peer group that has figures: our named segment, else our ACV band, else all companies.
    One row per source. Read the definition warnings first: they say where our number and the benchmark
    measure different things.
    """)
    return


@app.cell
def _(charts_benchmarks, comparison, mo):
    _warnings = charts_benchmarks.definition_warnings_markdown(comparison)
    mo.callout(
        mo.md(
            f"**Definition warnings: {int(comparison['definition_warning'].astype(bool).sum())} of {len(comparison)} "
            "comparisons differ in definition "
            "from the benchmark.** Rows marked *not comparable* get no verdict.\n\n" + _warnings
        ),
        kind="warn",
    ) if _warnings else mo.callout(
        mo.md(f"**No definition warnings.** All {len(comparison)} comparisons use the benchmark's own definition."),
        kind="success",
    )
    return


@app.cell
def _(charts_benchmarks, comparison):
    charts_benchmarks.comparison_table(comparison)
    return


@app.cell
def _(comparison, mo):
    _comparable = comparison[comparison["comparable"]]
    _positioned = int(_comparable["percentile_phrase"].astype(bool).sum())
    mo.md(
        f"{len(comparison)} comparisons with {comparison['publisher'].nunique()} publishers "
        f"({', '.join(sorted(comparison['publisher'].unique()))}), published {comparison['year'].min()} to "
        f"{comparison['year'].max()}. {len(_comparable)} are comparable; "
        + (
            f"{_positioned} of them have both quartiles, so a percentile position."
            if _positioned
            else "none of their sources gives both quartiles, so the position is read against the median alone "
            "(within ±2% of it is *in line*)."
        )
    )
    return


@app.cell
def _(charts_benchmarks, comparison, segment):
    charts_benchmarks.benchmark_position_chart(
        comparison, f"Where our KPIs sit against published benchmarks ({segment.value})"
    )
    return


@app.cell
def _(comparison, mo):
    _verdicts = comparison.loc[comparison["comparable"], "verdict"].value_counts()
    mo.md(
        f"Of the {int(comparison['comparable'].sum())} comparable rows: {int(_verdicts.get('above market', 0))} above "
        f"market, {int(_verdicts.get('in line', 0))} in line, {int(_verdicts.get('below market', 0))} below market. "
        f"The {int((~comparison['comparable']).sum())} grey rows are shown for context only. For churn, a dot to the "
        "left of the tick is better than the benchmark; for retention, a dot to the right."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Conversions: only the exact ones

    When our value and a benchmark differ in period or form, our value is converted only where the conversion
    is exact: monthly logo churn is compounded to annual churn, `1 − (1 − m)^12` (exact when the monthly rate
    is constant, and flagged because it rarely is), and a retention rate becomes its churn complement,
    `1 − r` (an identity on the same base). Nothing else is converted: monthly NRR is never turned into T12M
    NRR, because expansion compounds on a base that changes every month. The benchmark's own statistics are
    never converted.
    """)
    return


@app.cell
def _(charts_benchmarks, comparison, mo):
    mo.md(charts_benchmarks.conversions_markdown(comparison))
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Where the benchmarks come from

    Every figure in the curated file, with its source, publisher, year, sample, reliability and the source's
    own definition. Each figure is named by the catalogue KPI it is (`kpi`): the file names the measure and
    its form (`net_revenue_retention` as `t12m`), mapped once, when the file is read, through the catalogue
    (`logo_churn_rate` published as an annual rate is `logo_churn_rate_annual`). Why each was kept and what
    was dropped: `docs/benchmarks.md`. Use your own (for example paid) benchmark data with
    `load_benchmarks(path)` and the same columns.
    """)
    return


@app.cell
def _(benchmark_table):
    benchmark_table[
        [
            "kpi",
            "period",
            "form",
            "segment",
            "statistic",
            "value",
            "source",
            "publisher",
            "year",
            "sample",
            "reliability",
            "definition",
        ]
    ]
    return


@app.cell
def _(benchmark_table, mo):
    _reliability = benchmark_table["reliability"].value_counts()
    mo.md(
        f"{len(benchmark_table)} published figures from {benchmark_table['publisher'].nunique()} publishers, "
        f"{benchmark_table['year'].min()} to {benchmark_table['year'].max()}: {int(_reliability.get('high', 0))} "
        f"rated high reliability, {int(_reliability.get('medium', 0))} medium and {int(_reliability.get('low', 0))} "
        f"low. {int((benchmark_table['segment_kind'] == 'acv_band').sum())} are split by contract size (ACV band), "
        f"{int((benchmark_table['segment_kind'] == 'segment').sum())} by named segment."
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
            - **Benchmarks disagree with each other.** Surveys differ in population (private B2B SaaS with more than
              $1M or $5M ARR, card-billed subscription sites), year and method. A monthly B2B churn median from
              subscription-billing merchants and an annual logo churn median from larger SaaS companies describe
              different businesses: that is why each source gets its own row, and why one can say *above market*
              while another says *below*.
            - **Reliability tags.** *High*: a primary publication with a date and an explicit statistic. *Medium*:
              primary but decoded or approximate, or a faithful secondary summary. *Low*: secondary only, kept
              because nothing better exists. Weigh the verdicts accordingly.
            - **Medians vs our pooled rates.** A benchmark median is the middle company of a survey; our value is one
              company's rate pooled over all its accounts (a revenue-weighted figure for NRR and GRR). A company
              whose large accounts retain well can look better pooled than the typical company of its size.
            - **Peer group.** Revenue retention is matched on ACV band, our average ACV standing in for a mix of
              contract sizes; logo churn benchmarks are not split by size, so they are for all companies surveyed.
            - **Verdicts.** With a median alone, within ±2% (relative) of it is *in line*. With both quartiles,
              outside the interquartile range is above or below market. For churn, lower is better.
            - **Not comparable.** Rows in grey differ in period or form with no exact conversion: they show where the
              market sits, not how we compare.
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
