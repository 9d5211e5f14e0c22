"""Sentences generated from the numbers, for the reports.

Each function takes the numbers and frames the KPI engine returns and writes one sentence a
leader can read without the chart: the level, the direction, the size of the
change in percentage points, and what drove it. No number is typed by hand, and none is
computed here: the marts are read by :mod:`cskpi_analysis.kpis`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cskpi_analysis.kpis import NrrChange
    from cskpi_analysis.warehouse import Reader


def percent(value: float | None, digits: int = 1) -> str:
    """``0.9812`` -> ``'98.1%'``; ``None`` -> ``'n/a'``."""
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.{digits}f}%"


def points(value: float, digits: int = 1) -> str:
    """A change in percentage points with its sign: ``-0.031`` -> ``'-3.1 points'``."""
    return f"{100 * value:+.{digits}f} points"


def month_label(month: dt.date | pd.Timestamp) -> str:
    return pd.Timestamp(month).strftime("%b %Y")


def nrr_change_sentence(con: Reader, window: int = 3) -> str:
    """:func:`nrr_change_text` of :func:`cskpi_analysis.kpis.pooled_nrr_change` (read from the marts
    there): the one call of the KPI overview notebook."""
    from cskpi_analysis.kpis import pooled_nrr_change

    return nrr_change_text(pooled_nrr_change(con, window), window)


def nrr_change_text(result: NrrChange | None, window: int = 3) -> str:
    """E.g. "Monthly NRR averaged 98.9% over Jul-Sep 2026, down 0.6 points on the three months
    before, driven mostly by more churn in SMB (-0.4 points)."

    ``result`` is :func:`cskpi_analysis.kpis.pooled_nrr_change` over ``window`` months (None when
    the history is too short for two windows).
    """
    if result is None:
        return f"Not enough complete months yet to compare NRR over two {window}-month windows."
    change = result.change
    first, last = result.recent_months
    contributions = result.contributions
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    driver = contributions.iloc[-1] if change > 0 else contributions.iloc[0]
    more_or_less = {
        ("expansion", True): "more expansion", ("expansion", False): "less expansion",
        ("contraction", True): "less contraction", ("contraction", False): "more contraction",
        ("churn", True): "less churn", ("churn", False): "more churn",
    }[(driver["component"], driver["contribution"] > 0)]  # fmt: skip
    sentence = (
        f"Monthly NRR averaged {percent(result.recent.value)} over {month_label(first)} to {month_label(last)}, "
        f"{direction} {abs(100 * change):.1f} points on the {window} months before"
    )
    if abs(change) < 0.0005:
        return sentence + "."
    segment = user_text(driver["segment"])
    return sentence + f", driven mostly by {more_or_less} in {segment} ({points(driver['contribution'])})."


def retention_level_sentence(headline: pd.DataFrame) -> str:
    """The executive summary's first sentence, from :func:`cskpi_analysis.kpis.headline_frame`."""
    kpis = headline.set_index("kpi")
    nrr, grr = kpis.loc["net_revenue_retention_t12m"], kpis.loc["gross_revenue_retention_t12m"]
    churn = kpis.loc["logo_churn_rate"]
    if nrr["value"] is None or pd.isna(nrr["value"]):
        return "Less than twelve months of history: trailing-twelve-month retention is not available yet."
    growth = (
        "the installed base grows without a single new customer"
        if nrr["value"] > 1
        else "the installed base shrinks unless new customers replace it"
    )
    return (
        f"Over the twelve months to {month_label(nrr['month'])}, the accounts paying a year earlier kept "
        f"{percent(grr['value'])} of their revenue before expansion (GRR) and {percent(nrr['value'])} after it (NRR): "
        f"{growth}. On average {percent(churn['value'], 2)} of paying accounts churned each month "
        f"({int(churn['numerator']):,} of {int(churn['denominator']):,} account-months)."
    )


def gap_sentence(headline: pd.DataFrame) -> str:
    """Seed 003's point: NRR can hide a weak GRR. Quantifies the expansion cover."""
    kpis = headline.set_index("kpi")
    nrr, grr = kpis.loc["net_revenue_retention_t12m", "value"], kpis.loc["gross_revenue_retention_t12m", "value"]
    if nrr is None or grr is None or pd.isna(nrr) or pd.isna(grr):
        return ""
    gap = nrr - grr
    return f"Expansion adds {abs(100 * gap):.1f} points between GRR and NRR: " + (
        "growth is carried by upsell while the base leaks; watch GRR, not just NRR."
        if gap > 0.1
        else "growth and retention are balanced."
        if gap > 0
        else "there is no net expansion in the base."
    )


def cohort_sentence(cells: pd.DataFrame, months_since_start: int = 6, metric: str = "logo_retention") -> str:
    """Which cohorts retain better or worse at ``months_since_start``, and by how much.

    Compares complete cells only, against the cohort-size-weighted average; a cohort is
    called better or worse only when its Wilson interval excludes the average (logo
    retention), so small cohorts are not over-read.
    """
    at_k = cells[(cells["months_since_start"] == months_since_start) & cells["is_complete"]]
    if len(at_k) < 2:
        return f"Fewer than two cohorts have reached month {months_since_start}: no comparison yet."
    if metric == "logo_retention":
        average = at_k["accounts_active"].sum() / at_k["accounts_at_start"].sum()
    else:
        average = at_k["mrr_active"].sum() / at_k["mrr_at_start"].sum()
    best, worst = at_k.loc[at_k[metric].idxmax()], at_k.loc[at_k[metric].idxmin()]
    label = "logo retention" if metric == "logo_retention" else "revenue retention"

    def verdict(row: pd.Series) -> str:
        if metric != "logo_retention":
            return ""
        outside = row["logo_retention_lower"] > average or row["logo_retention_upper"] < average
        return "" if outside else " (within the noise of its size)"

    return (
        f"At month {months_since_start}, {len(at_k)} cohorts average {percent(average)} {label}. "
        f"The best, {month_label(best['cohort'])}, keeps {percent(best[metric])} ({points(best[metric] - average)})"
        f"{verdict(best)}; the worst, {month_label(worst['cohort'])}, keeps {percent(worst[metric])} "
        f"({points(worst[metric] - average)}){verdict(worst)}."
    )


def versions_footer(
    packages: tuple[str, ...] = ("cskpi", "duckdb", "pandas", "altair", "lifelines", "statsmodels", "marimo"),
) -> str:
    """A one-line footer with the versions that produced the numbers (pymc-examples style)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in packages:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return f"*Computed with Python {platform.python_version()}, " + ", ".join(found) + ".*"


def _escape_dollars(text: str) -> str:
    """``$`` -> ``\\$`` (marimo's Markdown reads ``$...$`` as inline LaTeX); ``\\$`` is left as it is."""
    return text.replace("\\$", "$").replace("$", "\\$")


def markdown_text(text: str) -> str:
    r"""Escape ``$`` so that generated text with dollar amounts is not read as LaTeX math.

    marimo's Markdown treats ``$...$`` as inline math: "ACV $25K-$50K" would render as an
    italic formula. ``\$`` renders a plain dollar sign. Apply it to whole generated
    sentences (it keeps their ``**bold**``); a value that comes from the data goes
    through :func:`user_text` instead, which escapes dollars the same way, so
    ``markdown_text(user_text(x)) == user_text(x)``.

    >>> markdown_text("ACV $25K-$50K")
    'ACV \\$25K-\\$50K'
    """
    return _escape_dollars(text)


def plain_text(text: str) -> str:
    r"""Generated Markdown (:func:`markdown_text`, :func:`user_text`) as plain text for a terminal or JSON.

    Undoes the escapes (``\$``, HTML entities) and drops ``**`` bold marks, so a command prints what the
    report shows:

    >>> plain_text("**ACV \\$25K-\\$50K** (KeyBanc &#40;KBCM&#41;)")
    'ACV $25K-$50K (KeyBanc (KBCM))'
    """
    import html

    return html.unescape(text.replace("**", "").replace("\\$", "$"))


#: Characters replaced by a numeric HTML entity in :func:`user_text`: HTML, Markdown
#: and the syntax of the extensions marimo enables (tables ``|``, critic ``{++ ++}``,
#: tilde ``~~``, caret ``^^``, keys ``++``, emoji and icons ``:name:``, footnotes ``[^1]``,
#: attribute lists ``{: }``, math ``\\(``, magic links ``http://`` and ``a@b.c``).
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    | {character: f"&#{ord(character)};" for character in "\\`*_{}[]()#+!|~^=:@"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def user_text(value: object) -> str:
    """A value from the data or the configuration (account, segment, feature, milestone
    name...) made safe to put inside a Markdown sentence that marimo renders as HTML.

    Only the value is escaped, never the sentence around it, so ``f"**{user_text(x)}**"``
    stays bold. The rendered page shows the value exactly as typed (whitespace runs
    collapse to one space), and nothing in it can become markup:

    - ``& < > " '`` become HTML entities, so ``<img src=...>`` or ``<b>`` is shown as text
      and a name such as ``<Acme>`` no longer vanishes;
    - Markdown and marimo's extension syntax (``*_`[]()#!|{}~^=+:@`` and backslash) become
      numeric entities, so no emphasis, table, link, footnote, emoji or critic mark can form;
      ``:`` in particular breaks every ``javascript:``, ``http://`` or ``mailto:`` link;
    - ``$`` becomes ``\\$`` (no LaTeX), as in :func:`markdown_text`;
    - a ``.`` between two characters (``www.evil.example``) and a leading list marker
      (``- ``, ``1. ``) are neutralised, so nothing is auto-linked or turned into a list;
    - line breaks and control characters go, so the value cannot start a new block.

    Letters, digits, spaces and ``, ; / ? % -`` are kept: plain names stay readable
    (``"Mid-Market"`` is unchanged). ``None`` and NaN read ``"n/a"``.

    >>> user_text("Smith & Sons <b>")
    'Smith &amp; Sons &lt;b&gt;'
    >>> user_text("[click](javascript:alert(1))")
    '&#91;click&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;'
    """
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "n/a"
    text = " ".join(_CONTROL.sub("", str(value)).split()).translate(_ENTITIES)
    text = re.sub(r"\.(?=\w)", "&#46;", text)
    text = re.sub(r"^(\d+)\.", r"\1&#46;", text)
    text = re.sub(r"^-", "&#45;", text)
    return _escape_dollars(text)
