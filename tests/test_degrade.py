"""Degrade, never crash, on any contract-valid folder (issue 12).

A demo dataset of 400 accounts is cut down to folders that are valid but thin: the required
tables only, no support tickets, no milestones, a usage_events file with a header and no row,
and a ``first_value_event`` naming a feature nobody uses. On each, the survival, indicators and
catalogue commands exit 0 and say, one sentence per item, what is left out and what data would
enable it; the notebooks run to the end; the source files are never touched.

Known answers: which covariates, indicators and KPIs are left out, and the exact reason, follow
from which table is missing (the registries' ``needs``), not from the data's numbers.
"""

from __future__ import annotations

import html
import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cskpi_analysis import indicators, quality, survival
from cskpi_analysis.catalogue import available_columns_in_folder, catalogue_frame, computable_here, get_kpi
from cskpi_analysis.cli import main
from cskpi_analysis.contract import OPTIONAL_TABLES
from cskpi_analysis.demo import write_demo
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.validate import require_valid
from cskpi_analysis.warehouse import build_marts, open_warehouse

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"

MILESTONES = "needs milestones (a 'first_value' milestone marks first value)"
UNKNOWN_EVENT = "needs usage events of feature 'no_such_feature' (analysis.first_value_event); the data has none"
USAGE = "needs usage_events"
TICKETS = "needs support_tickets"

#: How each folder is cut from the full demo: tables removed, tables left with a header only, cskpi.toml edits.
VARIANTS: dict[str, dict] = {
    "required_only": {"drop": OPTIONAL_TABLES},
    "no_support_tickets": {"drop": ("support_tickets",)},
    "no_milestones": {"drop": ("milestones",)},
    "header_only_usage": {"header_only": ("usage_events",)},
    "unknown_first_value_event": {"toml": ('first_value_event = ""', 'first_value_event = "no_such_feature"')},
}

#: Covariates left out on each folder, with the reason (registry order).
SURVIVAL_LEFT_OUT: dict[str, list[tuple[str, str]]] = {
    "required_only": [
        ("not_adopted_reports", USAGE),
        ("not_adopted_integrations", USAGE),
        ("not_adopted_automations", USAGE),
        ("no_first_value", MILESTONES),
        ("active_days", USAGE),
        ("tickets_opened", TICKETS),
        ("low_csat", TICKETS),
    ],
    "no_support_tickets": [("tickets_opened", TICKETS), ("low_csat", TICKETS)],
    "no_milestones": [("no_first_value", MILESTONES)],
    "header_only_usage": [
        ("not_adopted_reports", USAGE),
        ("not_adopted_integrations", USAGE),
        ("not_adopted_automations", USAGE),
        ("active_days", USAGE),
    ],
    "unknown_first_value_event": [("no_first_value", UNKNOWN_EVENT)],
}

_USAGE_INDICATORS = ["key_feature_adoption", "active_days", "active_users", "feature_breadth", "active_days_change_3m"]
_TICKET_INDICATORS = ["mean_csat_90d", "tickets_90d", "median_first_response_hours"]

#: Indicators left out on each folder, with the reason (registry order).
INDICATORS_LEFT_OUT: dict[str, list[tuple[str, str]]] = {
    "required_only": [
        ("health_score", "needs health_scores"),
        *[(name, USAGE) for name in _USAGE_INDICATORS],
        ("days_to_first_value", MILESTONES),
        ("latest_nps", "needs nps_responses"),
        *[(name, TICKETS) for name in _TICKET_INDICATORS],
        ("check_ins", "needs cs_activities"),
        ("qbrs", "needs cs_activities"),
    ],
    "no_support_tickets": [(name, TICKETS) for name in _TICKET_INDICATORS],
    "no_milestones": [("days_to_first_value", MILESTONES)],
    "header_only_usage": [(name, USAGE) for name in _USAGE_INDICATORS],
    "unknown_first_value_event": [("days_to_first_value", UNKNOWN_EVENT)],
}

_MILESTONE_KPIS = (
    "time_to_first_value_median, time_to_first_value_p90, activation_rate, onboarding_completion_rate, "
    "activation_to_expansion_rate"
)
_USAGE_KPIS = (
    "feature_adoption_rate_early, feature_adoption_rate_ongoing, feature_adoption_rate_by_feature, breadth_of_use, "
    "accounts_with_3_plus_active_users_rate, engagement_score, churn_risk_score, mrr_at_risk"
)
_TICKET_KPIS = (
    "average_resolution_time_hours, first_response_time_median_hours, csat_average, csat_satisfied_rate, ticket_volume"
)

#: The catalogue's closing sentences on each folder (one per missing source).
CATALOGUE_LEFT_OUT: dict[str, list[str]] = {
    "required_only": [
        f"{_MILESTONE_KPIS}: left out — needs milestones.",
        f"{_USAGE_KPIS}: left out — needs usage_events.",
        "customer_health_score: left out — needs health_scores.",
        "check_in_impact_score: left out — needs cs_activities.",
        "net_promoter_score: left out — needs nps_responses.",
        f"{_TICKET_KPIS}: left out — needs support_tickets.",
    ],
    "no_support_tickets": [f"{_TICKET_KPIS}: left out — needs support_tickets."],
    "no_milestones": [f"{_MILESTONE_KPIS}: left out — needs milestones."],
    "header_only_usage": [f"{_USAGE_KPIS}: left out — needs usage_events."],
    "unknown_first_value_event": [],
}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The thin folders, cut from one 400-account demo, with a snapshot of their bytes."""
    root = tmp_path_factory.mktemp("degrade")
    full = root / "full"
    write_demo(full, 400, 7)
    out = {}
    for name, cut in VARIANTS.items():
        folder = root / name
        shutil.copytree(full, folder)
        for table in cut.get("drop", ()):
            (folder / f"{table}.csv").unlink()
        for table in cut.get("header_only", ()):
            path = folder / f"{table}.csv"
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        if "toml" in cut:
            path = folder / "cskpi.toml"
            old, new = cut["toml"]
            assert old in path.read_text(encoding="utf-8")
            path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def snapshots(folders: dict[str, Path]) -> dict[str, dict[str, bytes]]:
    return {name: _snapshot(folder) for name, folder in folders.items()}


# --------------------------------------------------------------------------- survival


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_survival_command_leaves_out_what_the_folder_lacks(folders, snapshots, variant, capsys):
    folder = folders[variant]
    assert main(["survival", str(folder), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    left_out = [(item["name"], item["reason"]) for item in payload["left_out"]]
    assert left_out == SURVIVAL_LEFT_OUT[variant]
    fitted = {row["covariate"] for row in payload["hazard_ratios"]}
    assert not fitted & {name for name, _ in left_out}
    if variant == "required_only":
        assert payload["hazard_ratios"] == []
    else:
        assert fitted  # what the folder has is still fitted

    assert main(["survival", str(folder)]) == 0
    out = capsys.readouterr().out
    for item in payload["left_out"]:
        assert item["sentence"] in out
    if variant == "required_only":
        assert out.splitlines()[0] == (
            "No day-30 covariate can be fitted on this data: it needs one of usage_events, milestones "
            "(a 'first_value' milestone marks first value) or support_tickets."
        )
        assert "Active days by day 30: left out — needs usage_events." in out


def test_survival_covariates_option_chooses_and_validates(folders, capsys):
    folder = folders["no_support_tickets"]
    assert main(["survival", str(folder), "--covariates", "active_days,tickets_opened", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [row["covariate"] for row in payload["hazard_ratios"]] == ["active_days"]
    assert [(i["name"], i["reason"]) for i in payload["left_out"]] == [("tickets_opened", TICKETS)]

    assert main(["survival", str(folder), "--covariates", "active_days,logins"]) == 1
    err = capsys.readouterr().err
    assert "unknown covariate(s) logins; choose from not_adopted_reports, not_adopted_integrations" in err
    assert "active_days, tickets_opened, low_csat" in err and "Traceback" not in err


def test_available_covariates_reads_a_warehouse_or_a_frame(folders):
    with open_warehouse(folders["no_milestones"]) as wh:
        kept, left_out = survival.available_covariates(wh)
        frame = survival.survival_frame(wh)
    assert [c.name for c in kept] == [
        "not_adopted_reports", "not_adopted_integrations", "not_adopted_automations", "active_days",
        "tickets_opened", "low_csat",
    ]  # fmt: skip
    assert left_out == [quality.LeftOut("no_first_value", "No first value by day 30", MILESTONES)]
    assert left_out[0].sentence == f"No first value by day 30: left out — {MILESTONES}."
    assert survival.available_covariates(frame) == (kept, left_out)
    # no behaviour is banded on a covariate left out, and time to first value is never tenure
    assert "first_value" not in {b.name for b in survival.behaviours(frame)}
    assert survival.first_value_left_out(frame) == ("time_to_first_value", "Time to first value", MILESTONES)


def test_a_covariate_that_does_not_vary_in_the_cohort_is_left_out(folders):
    with open_warehouse(folders["no_support_tickets"]) as wh:
        frame = survival.survival_frame(wh)
    frame["active_days"] = 0.0
    kept, left_out = survival.available_covariates(frame, ["active_days", "no_first_value"])
    assert [c.name for c in kept] == ["no_first_value"]
    assert left_out == [
        ("active_days", "Active days by day 30", f"does not vary in the cohort (all {len(frame):,} accounts: 0)")
    ]


# --------------------------------------------------------------------------- indicators


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_indicators_command_assesses_only_indicators_with_data(folders, variant, capsys):
    folder = folders[variant]
    arguments = ["indicators", str(folder), "--horizon", "3", "--outcome", "churn", "--bootstrap", "0"]
    assert main([*arguments, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    left_out = [(item["name"], item["reason"]) for item in payload["left_out"]]
    assert left_out == INDICATORS_LEFT_OUT[variant]
    assessed = {row["indicator"] for row in payload["matrix"]}
    assert assessed == {item.id for item in indicators.INDICATORS} - {name for name, _ in left_out}

    assert main(arguments) == 0
    out = capsys.readouterr().out
    for item in payload["left_out"]:
        assert item["sentence"] in out
    if variant == "required_only":
        assert out.startswith("No indicator can be assessed on this data: the matrix needs one of health_scores, ")
        assert "Active days: left out — needs usage_events." in out
        assert "0.500" not in out


def test_the_calibration_says_it_needs_health_scores_not_that_no_outcome_is_observable(folders):
    with open_warehouse(folders["required_only"]) as wh:
        frame = indicators.indicator_frame(wh)
    assert frame["churn_3m"].notna().sum() > 1000  # many account-months are observable
    with pytest.raises(AnalysisError, match="no account-month has a vendor health score: the calibration needs "):
        indicators.reliability_curve(frame)
    sections = indicators.sections_left_out(frame)
    assert {key: item.reason for key, item in sections.items()} == {
        "matrix": (
            "needs one of health_scores, usage_events, milestones (a 'first_value' milestone marks first value), "
            "nps_responses, support_tickets or cs_activities"
        ),
        "lead_times": (
            "needs one of health_scores, usage_events, milestones (a 'first_value' milestone marks first value), "
            "nps_responses, support_tickets or cs_activities"
        ),
        "calibration": "needs health_scores",
        "effort": "needs cs_activities and health_scores",
        "coverage": "needs cs_activities",
        "coverage_by_health": "needs cs_activities and health_scores",
        "worklist": (
            "needs one of usage_events, milestones (a 'first_value' milestone marks first value), nps_responses "
            "or support_tickets"
        ),
    }
    assert indicators.refit_features(frame) == ()


def test_days_to_first_value_is_never_a_tenure_proxy(folders):
    with open_warehouse(folders["no_milestones"]) as wh:
        frame = indicators.indicator_frame(wh)
        risk = indicators.worklist(wh, top=50)
    kept, _ = indicators.available_indicators(frame)
    assert "days_to_first_value" not in {item.id for item in kept}
    assert "days_to_first_value" not in indicators.refit_features(frame)
    assert not risk["cause"].str.contains("first value").any()
    assert indicators.lead_time_table(frame)["indicator"].tolist().count("days_to_first_value") == 0


# --------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_catalogue_command_names_the_kpis_each_missing_source_would_enable(folders, variant, capsys):
    assert main(["catalogue", str(folders[variant])]) == 0
    out = capsys.readouterr().out
    sentences = [line for line in out.splitlines() if ": left out — " in line]
    assert sentences == CATALOGUE_LEFT_OUT[variant]


def test_a_missing_end_date_column_means_every_subscription_is_ongoing(folders, tmp_path, capsys):
    folder = tmp_path / "no_end_date"
    shutil.copytree(folders["required_only"], folder)
    subscriptions = pd.read_csv(folder / "subscriptions.csv")
    subscriptions.drop(columns="end_date").to_csv(folder / "subscriptions.csv", index=False)
    assert main(["catalogue", str(folder)]) == 0
    assert "23 of 97 KPIs computable here." in capsys.readouterr().out  # as many as with the column
    assert computable_here(get_kpi("net_revenue_retention"), available_columns_in_folder(folder)) == (True, "")
    # from a warehouse, an end_date empty in every row is the same fact
    config, _ = require_valid(folder)
    frame = catalogue_frame(build_marts(folder, config)).set_index("kpi_id")
    assert frame.loc["logo_churn_rate", "computable_here"]


def test_a_header_only_file_is_a_table_not_provided(folders):
    available = available_columns_in_folder(folders["header_only_usage"])
    assert "usage_events" not in available and "support_tickets" in available


# --------------------------------------------------------------------------- quality and the warehouse


def test_an_in_memory_build_knows_which_optional_tables_have_rows(folders):
    config, _ = require_valid(folders["header_only_usage"])
    wh = build_marts(folders["header_only_usage"], config)
    presence = {k: v for k, v in wh.parameters.items() if k.startswith("has_")}
    assert presence == {f"has_{t}": t != "usage_events" for t in OPTIONAL_TABLES}
    provided = quality.sources(wh)
    assert not provided.has("usage_events") and provided.has("support_tickets.csat")
    assert provided.needs(["usage_events.user_id", "milestones", "first_value"]) == "needs usage_events"


def test_silent_accounts_are_not_counted_without_usage_events(folders):
    with open_warehouse(folders["required_only"]) as wh:
        sentence = quality.silent_accounts_sentence(quality.accounts_without_usage(wh), quality.sources(wh))
    assert sentence.startswith("Silent accounts: left out — needs usage_events (no usage_events table was provided")
    assert "have no usage event at all" not in sentence


# --------------------------------------------------------------------------- notebooks


def _run_notebook(path: Path) -> str:
    """Run a notebook in-process (marimo's App.run raises if a cell fails); the text of its outputs."""
    spec = importlib.util.spec_from_file_location(f"degrade_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs, _ = module.app.run()
    # the rendered HTML: names from the data are entity-escaped (narrative.user_text), so read it as text
    return html.unescape("\n".join(getattr(output, "text", "") for output in outputs))


NOTEBOOK_SENTENCES = {
    "00_data_quality": ["Silent accounts: left out — needs usage_events"],
    "03_day30_survival": [
        "Active days by day 30: left out — needs usage_events.",
        f"Time to first value: left out — {MILESTONES}.",
        "No day-30 covariate can be fitted on this data",
    ],
    "04_leading_indicators": [
        "Active days: left out — needs usage_events.",
        "Health-score calibration: left out — needs health_scores.",
        "CS effort vs outcome: left out — needs cs_activities and health_scores.",
        "Portfolio coverage: left out — needs cs_activities.",
        "Accounts to handle this week: left out — needs one of usage_events",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variant", "notebook"),
    [("required_only", name) for name in NOTEBOOK_SENTENCES]
    + [(v, n) for v in VARIANTS if v != "required_only" for n in ("03_day30_survival", "04_leading_indicators")],
)
def test_notebooks_run_to_the_end_and_say_what_is_left_out(folders, variant, notebook, monkeypatch):
    # CSKPI_CACHE_DIR is the session's temporary cache (tests/conftest.py): the warehouses built above are reused
    monkeypatch.setenv("CSKPI_DATA", str(folders[variant]))
    monkeypatch.delenv("CSKPI_DB", raising=False)
    text = _run_notebook(NOTEBOOKS / f"{notebook}.py")
    if variant == "required_only":
        for sentence in NOTEBOOK_SENTENCES[notebook]:
            assert sentence in text, sentence
    else:
        for name, reason in SURVIVAL_LEFT_OUT[variant] if notebook.startswith("03") else INDICATORS_LEFT_OUT[variant]:
            assert f"left out — {reason}." in text, name


# --------------------------------------------------------------------------- the sources


def test_source_files_are_byte_identical_afterwards(folders, snapshots):
    """Runs last in this module: nothing above wrote to a data folder."""
    for name, folder in folders.items():
        assert _snapshot(folder) == snapshots[name], name


# --------------------------------------------------------------------------- the report index


def test_the_report_index_marks_a_report_with_sections_left_out():
    from cskpi_analysis.report import Report, index_page, left_out_count

    sentences = ["Active days by day 30: left out — needs usage_events.", "QBRs: left out — needs cs_activities."]
    cell = {"outputs": [{"data": {"text/html": f"<p>{s}</p>", "text/markdown": s}} for s in sentences]}
    page = "<script>window.__MARIMO__ = {" + '"session": ' + json.dumps({"cells": [cell]}) + "}</script>"
    assert left_out_count(page) == 2  # each item once, although stored as HTML and as Markdown
    assert left_out_count('<script>{"session": {"cells": []}}</script>') == 0
    thin = Report(Path("03.py"), "03.html", "Survival", "Does it predict?", 1, 1.0, left_out=2)
    full = Report(Path("01.py"), "01.html", "KPIs", "Is it growing?", 1, 1.0)
    index = index_page([full, thin], "exports")
    assert index.count("Some sections are left out") == 1
    assert "2 left out" in index.split("Survival", 1)[1]
