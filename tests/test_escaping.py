"""Issue 12: names and segments from the data never become markup, links, math, formulas or network fetches.

- :func:`cskpi_analysis.narrative.user_text` escapes a value for marimo's Markdown (checked by
  rendering with marimo's own Markdown pipeline) and the sentences use it;
- :func:`cskpi_analysis.report.remote_references` finds remote URLs hidden in marimo's
  embedded JSON and in HTML-escaped attribute values;
- CSV output neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import marimo as mo
import pandas as pd
import pytest

from cskpi_analysis import cli
from cskpi_analysis.commands._common import print_frame, spreadsheet_safe
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.narrative import markdown_text, nrr_change_sentence, user_text
from cskpi_analysis.overview import next_steps, risk_sentence
from cskpi_analysis.report import find_personal_data, remote_references
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://evil.example/x.png">',
    "[click](javascript:alert(1))",
    '=HYPERLINK("http://x","y")',
    "$x$",
    "{{ }}",
    "**bold**",
    "Smith & Sons",
    "<b>Bold Corp</b>",
    "<Acme>",
    "JavaScript:alert(1)",
    "<javascript:alert(1)>",
    "![logo](https://evil.example/logo.png)",
    "www.evil.example",
    "ops@evil.example",
    "http://evil.example/x.png",
    r"\(x^2\)",
    "~~gone~~ ^^ins^^ ==mark== {++add++} {--del--}",
    ":smile: ::mdi:home::",
    "++ctrl+alt+del++",
    "`code` _under_ a|b [^1]",
    "- list item",
    "1. ordered",
    "# Heading",
    "> quote",
    "Line one\n# Line two\n\n<b>x</b>",
    "A  \ttabbed\r\nname",
    "\\$5 and $6",
    "&amp; &#60; &lt;",
    'O\'Brien "Quoted"',
    "Stash \x02wzxhzdk:0\x03 marker",
]
HARMLESS_UNESCAPED = {
    "Smith & Sons", "{{ }}", "O'Brien \"Quoted\"", "A  \ttabbed\r\nname", "JavaScript:alert(1)",
    "Stash \x02wzxhzdk:0\x03 marker",  # python-markdown's placeholder for stashed HTML; harmless only when none is
}  # fmt: skip
PLAIN_NAMES = ["Acme Corp", "Mid-Market", "SMB", "Enterprise", "Swift Yard Analytics", "Acme Inc.", "Data, Inc"]
WRAPPER_TAGS = {'<span class="markdown prose dark:prose-invert contents">', '<span class="paragraph">', "</span>"}


def rendered(markdown: str) -> str:
    """The HTML marimo's ``mo.md`` makes of ``markdown`` (what the report embeds)."""
    return mo.md(markdown).text


def visible(value: str) -> str:
    """What a reader sees of ``value`` once rendered: whitespace collapsed, control characters gone."""
    return " ".join(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value).split())


# --- the helper ---


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_leaves_no_markup_and_no_link_target(payload: str) -> None:
    escaped = user_text(payload)
    assert "<" not in escaped and ">" not in escaped
    assert ":" not in escaped  # no javascript:, http:, mailto: or :emoji: can form
    assert "\n" not in escaped and "\x02" not in escaped


@pytest.mark.parametrize("payload", PAYLOADS)
def test_marimo_renders_an_escaped_value_as_its_own_text(payload: str) -> None:
    page = rendered(f"The largest churn was **{user_text(payload)}** (SMB).")
    tags = set(re.findall(r"<[^>]*>", page))
    assert tags <= WRAPPER_TAGS | {"<strong>", "</strong>"}  # no <img>, <a>, <script>, <marimo-tex>, <ins>, <h1>...
    text = html.unescape(re.sub(r"<[^>]*>", "", page))
    assert text == f"The largest churn was {visible(payload)} (SMB)."


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p not in HARMLESS_UNESCAPED])
def test_unescaped_payloads_really_are_markup(payload: str) -> None:
    """The corpus is hostile: without the helper, marimo turns these into markup or drops text
    (HARMLESS_UNESCAPED render as typed even unescaped; they stay in the corpus to check readability)."""
    page = rendered(payload)
    text = html.unescape(re.sub(r"<[^>]*>", "", page))
    assert set(re.findall(r"<[^>]*>", page)) - WRAPPER_TAGS or text != visible(payload)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names_are_left_as_they_are(name: str) -> None:
    assert user_text(name) == name


def test_hyperlink_formula_and_javascript_link_render_without_a_link() -> None:
    for payload in ('=HYPERLINK("http://x","y")', "[click](javascript:alert(1))", "www.evil.example"):
        page = rendered(user_text(payload))
        assert "<a" not in page and "href" not in page


def test_user_text_escapes_dollars_like_markdown_text() -> None:
    """One escaping for ``$``: a sentence holding an escaped name can go through markdown_text unchanged."""
    for payload in PAYLOADS:
        assert markdown_text(user_text(payload)) == user_text(payload)
    assert user_text("ACV $25K") == markdown_text("ACV $25K") == "ACV \\$25K"
    assert "marimo-tex" not in rendered(markdown_text(f"Lost ${12:,} from {user_text('$x$')}"))


def test_missing_values_read_n_a() -> None:
    assert user_text(None) == user_text(float("nan")) == user_text(pd.NA) == "n/a"
    assert user_text(42) == "42"


# --- the sentences of narrative.py and overview.py ---

HOSTILE_NAME = '<img src="https://evil.example/x.png">'
HOSTILE_SEGMENT = "[click](javascript:alert(1)) $x$ **bold**"


def assert_safe(sentence: str, *payloads: str) -> None:
    page = rendered(markdown_text(sentence))
    assert not set(re.findall(r"<[^>]*>", page)) - WRAPPER_TAGS - {"<ol>", "</ol>", "<li>", "</li>"}
    text = html.unescape(re.sub(r"<[^>]*>", "", page))
    for payload in payloads:
        assert payload in text


def test_risk_sentence_escapes_the_account_name_and_segment() -> None:
    churned = pd.DataFrame(
        {
            "account_name": [HOSTILE_NAME],
            "segment": [HOSTILE_SEGMENT],
            "movement_mrr": [-1200.0],
            "month": [pd.Timestamp("2024-03-01")],
        }
    )
    sentence = risk_sentence(churned, churned.iloc[0:0])
    assert "<img" not in sentence and "](" not in sentence
    assert_safe(sentence, HOSTILE_NAME, HOSTILE_SEGMENT, "$1,200 MRR")


def test_next_steps_escape_the_segment() -> None:
    by_segment = pd.DataFrame(
        {
            "segment": ["All", HOSTILE_SEGMENT, HOSTILE_NAME],
            "nrr_t12m": [0.95, 1.02, 0.90],
            "grr_t12m": [0.85, 0.80, 0.88],
            "logo_churn_rate": [0.02, 0.03, 0.01],
            "expansion_rate": [0.01, 0.002, 0.02],
            "contraction_rate": [0.01, 0.004, 0.01],
        }
    )
    steps = next_steps(by_segment)
    assert len(steps) == 4  # weakest, leaky, shrinking, the at-risk list
    assert_safe("\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1)), HOSTILE_SEGMENT)


def test_nrr_change_sentence_escapes_the_driving_segment(tmp_path) -> None:
    folder = write_folder(
        tmp_path,
        [
            ("A", "2024-01-01", None, 100, 1),
            ("B", "2024-01-01", "2024-05-01", 1000, 12),
            ("B", "2024-05-01", None, 600, 12),
        ],
        segments={"A": "SMB", "B": HOSTILE_NAME},
    )
    sentence = nrr_change_sentence(build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 7, 31))), window=3)
    assert "more contraction in &lt;img" in sentence
    assert_safe(sentence, f"more contraction in {HOSTILE_NAME}")


# --- the offline check ---


def marimo_like_page(*outputs: str) -> str:
    """A page shaped like a marimo export: outputs as JSON in a script, offline assets."""
    session = {"cells": [{"outputs": [{"data": {"text/markdown": output}}]} for output in outputs]}
    return (
        '<html><head><script type="module" src="assets/index.js"></script></head><body>'
        f'<script data-marimo="true">window.__MARIMO_MOUNT_CONFIG__ = {{"session": {json.dumps(session)}}}</script>'
        "</body></html>"
    )


@pytest.mark.parametrize(
    "page",
    [
        marimo_like_page('<span><img src="https://evil.example/a.png"></span>'),  # json.dumps writes \"
        marimo_like_page('<img src="https://evil.example/a.png">').replace('\\"', "\\u0022"),
        marimo_like_page('<img src="https://evil.example/a.png">').replace("<", "\\u003c").replace("/", "\\/"),
        marimo_like_page("<img src='https://evil.example/a.png'>"),
        marimo_like_page("<img src=https://evil.example/a.png>"),
        marimo_like_page(
            "<marimo-ui-element><marimo-table data-label='&quot;&lt;img src=\\&quot;https://evil.example/a.png\\&quot;"
            "&gt;&quot;'></marimo-table></marimo-ui-element>"
        ),
        marimo_like_page('<div data-html="&lt;img src=&#34;https://evil.example/a.png&#34;&gt;"></div>'),
        marimo_like_page('<div data-html="&#60;iframe src=&#x22;https://evil.example/a.png&#x22;&#62;"></div>'),
        marimo_like_page('<img srcset="assets/a.png 1x, https://evil.example/a.png 2x">'),
        marimo_like_page('<div style="background: url(https://evil.example/a.png)"></div>'),
        marimo_like_page('<img src="x" onerror="fetch(\'https://evil.example/a.png\')">'),
        marimo_like_page('<link rel="stylesheet" href="https://evil.example/a.png">'),
        '<img src="https&#58;//evil.example/a.png">',
        '<img src="  https://evil.example/a.png">',
        # marimo's tables show a cell's image URL as an <img>
        marimo_like_page(
            "<marimo-table data-data='&quot;[{\\&quot;account_name\\&quot;: "
            "\\&quot;https://evil.example/a.png\\&quot;}]&quot;'></marimo-table>"
        ),
    ],
    ids=[
        "json-escaped-quotes", "json-u0022", "json-u003c-and-slashes", "single-quotes", "unquoted",
        "html-escaped-in-a-ui-element-label", "html-escaped-&#34;", "html-escaped-&#x22;", "srcset", "css-url",
        "event-handler", "stylesheet-link", "entity-in-the-url", "leading-spaces", "image-url-in-a-table-cell",
    ],
)  # fmt: skip
def test_a_remote_url_hidden_in_embedded_json_or_html_escapes_is_found(page: str) -> None:
    assert remote_references(page) == ["https://evil.example/a.png"]


def test_protocol_relative_and_backslash_urls_are_remote() -> None:
    assert remote_references(marimo_like_page('<img src="//evil.example/a">')) == ["//evil.example/a"]
    assert remote_references(marimo_like_page('<img src="\\\\evil.example\\a">')) == ["\\\\evil.example\\a"]


def test_links_chart_schemas_local_assets_and_escaped_text_are_not_remote() -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json", "mark": "bar"}
    page = (
        marimo_like_page(
            '<a href="https://example.com/docs" target="_blank">docs</a>',  # a link is only followed on a click
            '<img src="assets/logo.png"><img src="data:image/png;base64,iVBORw0KGgo=">',
            rendered(f"The largest churn was {user_text(HOSTILE_NAME)}."),  # an escaped name is text
            rendered(user_text("<iframe src='https://evil.example/frame'></iframe>")),
        )
        + f'<script type="application/json">{json.dumps(spec)}</script>'
    )
    assert remote_references(page) == []


def test_an_unescaped_name_in_a_sentence_is_caught_by_the_offline_check() -> None:
    page = marimo_like_page(rendered(f"The largest churn was {HOSTILE_NAME}."))
    assert remote_references(page) == ["https://evil.example/x.png"]


def test_the_offline_check_stays_linear_on_unclosed_tags() -> None:
    """Hostile data full of unclosed tags and quotes must not make ``cskpi report`` hang."""
    import time

    started = time.monotonic()
    for unit in ('<a "', "<a b=", "<a '\"", "<a x='<a "):
        assert remote_references(marimo_like_page(unit * 20000)) == []
    assert time.monotonic() - started < 20  # quadratic scanning took minutes


def test_personal_data_is_still_found_in_an_escaped_name() -> None:
    """Escaping shows the text; it does not hide it from the privacy check."""
    page = marimo_like_page(rendered(user_text("Contact jane.doe@example.com")))
    assert find_personal_data(page) == ["e-mail address j…@example.com"]


# --- CSV output ---


def printed_csv(frame: pd.DataFrame, capsys) -> list[list[str]]:
    print_frame(frame, "csv")
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


def test_csv_text_cells_that_a_spreadsheet_would_run_are_quoted(capsys) -> None:
    frame = pd.DataFrame(
        {
            "segment": ['=HYPERLINK("http://x","y")', "+SUM(A1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "Mid-Market"],
            "note": ["\t=1+1", "=1", "-12.5", "+3", None],
            "mrr": [-1200.5, 3.0, -0.0, 1e-9, float("nan")],
            "accounts": [-3, 0, 4, 5, 6],
            "month": pd.to_datetime(["2024-01-01"] * 5),
        }
    )
    rows = printed_csv(frame, capsys)
    assert rows[0] == ["segment", "note", "mrr", "accounts", "month"]
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://x","y")',
        "'+SUM(A1)",
        "'-2+3+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "Mid-Market",
    ]
    assert [row[1] for row in rows[1:]] == ["'\t=1+1", "'=1", "-12.5", "+3", ""]  # a number stays a number
    assert [row[2] for row in rows[1:]] == ["-1200.5", "3.0", "-0.0", "1e-09", ""]
    assert [row[3] for row in rows[1:]] == ["-3", "0", "4", "5", "6"]
    assert rows[1][4] == "2024-01-01"


def test_spreadsheet_safe_quotes_formulas_only() -> None:
    assert [spreadsheet_safe(v) for v in ("\r=1", "=1", "a=1", "-", "-1e5", "+.5", "1-2", -3, None)] == [
        "'\r=1",
        "'=1",
        "a=1",
        "'-",
        "-1e5",
        "+.5",
        "1-2",
        -3,
        None,
    ]


def test_csv_column_names_are_quoted_too(capsys) -> None:
    assert printed_csv(pd.DataFrame({"=cmd": ["a"], "ok": [1]}), capsys)[0] == ["'=cmd", "ok"]


def test_the_kpis_command_writes_a_hostile_segment_as_text(tmp_path, capsys) -> None:
    folder = write_folder(tmp_path / "exports", [("A", "2024-01-01", None, 100, 1)], segments={"A": "=1+2"})
    assert cli.main(["kpis", str(folder), "--segment", "=1+2", "--format", "csv", "--months", "0"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {row["segment"] for row in rows} == {"'=1+2"}
