"""Tests of cskpi_analysis.demo: the synthetic data obey the contract and carry the planted truth.

The planted-effect tests use one fixed seed and n = 4,000 accounts. Each expected
number was measured once on a large sample of the same model,
``generate_demo(100_000, seed=1)``, with the same raw-data computation as here
(``_accounts_with_flags``); the tolerances are about 3 standard errors at n = 4,000.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cskpi_analysis import demo
from cskpi_analysis.cli import main
from cskpi_analysis.config import load_config
from cskpi_analysis.contract import TABLES
from cskpi_analysis.demo import DEFAULT_AS_OF, GROUND_TRUTH_FILE, generate_demo, write_demo
from cskpi_analysis.demo._arrays import _schema, _to_pandas
from cskpi_analysis.demo._parameters import _MONTH_DAYS

AS_OF = pd.Timestamp(DEFAULT_AS_OF)
SEED = 11
N_PLANTED = 4000
END_OF_TIME = pd.Timestamp("2262-01-01")


@pytest.fixture(scope="module")
def small() -> demo.DemoData:
    return generate_demo(500, seed=3)


@pytest.fixture(scope="module")
def planted() -> demo.DemoData:
    return generate_demo(N_PLANTED, seed=SEED)


def _coverage_blocks(subscriptions: pd.DataFrame) -> pd.DataFrame:
    """One row per account per uninterrupted run of subscriptions: account_id, block, start, end (NaT = ongoing)."""
    subs = subscriptions.assign(end=subscriptions["end_date"].fillna(END_OF_TIME))
    subs = subs.sort_values(["account_id", "start_date", "end"]).reset_index(drop=True)
    covered_until = subs.groupby("account_id")["end"].cummax()
    previous = covered_until.groupby(subs["account_id"]).shift()
    subs["block"] = (previous.isna() | (subs["start_date"] > previous)).groupby(subs["account_id"]).cumsum()
    first_rows = subs.groupby(["account_id", "block"]).head(1).set_index(["account_id", "block"])
    blocks = subs.groupby(["account_id", "block"]).agg(start=("start_date", "min"), end=("end", "max"))
    blocks["first_billing"] = first_rows["billing_period_months"]
    blocks["end"] = blocks["end"].where(blocks["end"] < END_OF_TIME)
    return blocks.reset_index()


def _accounts_with_flags(data: demo.DemoData) -> pd.DataFrame:
    """Accounts with first start, first churn and the two planted covariates, computed from raw rows."""
    tables = data.tables
    blocks = _coverage_blocks(tables["subscriptions"])
    first = blocks[blocks["block"] == 1].set_index("account_id")
    accounts = tables["accounts"].set_index("account_id")
    accounts["first_start"] = first["start"]
    accounts["first_end"] = first["end"]
    window_end = accounts["first_start"] + pd.Timedelta(days=30)
    usage = tables["usage_events"]
    automations = usage[usage["feature"] == "automations"].join(window_end.rename("window_end"), on="account_id")
    automations = automations.join(accounts["first_start"], on="account_id")
    early = automations[
        (automations["occurred_at"] >= automations["first_start"])
        & (automations["occurred_at"] < automations["window_end"])
    ]
    accounts["adopter"] = accounts.index.isin(early["account_id"])
    milestones = tables["milestones"]
    first_value = milestones[milestones["milestone"] == "first_value"].set_index("account_id")["achieved_at"]
    accounts["slow_ttfv"] = ~(first_value.reindex(accounts.index) < window_end).fillna(False).astype(bool)
    return accounts


def _twelve_month_cohort(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts alive at day 30 with 12 months of follow-up, and whether they churned within 12 months."""
    followed = accounts[accounts["first_start"] + pd.DateOffset(months=12) <= AS_OF]
    alive_at_landmark = ~(followed["first_end"] < followed["first_start"] + pd.Timedelta(days=30))
    cohort = followed[alive_at_landmark].copy()
    cohort["churned_12m"] = cohort["first_end"] <= cohort["first_start"] + pd.DateOffset(months=12)
    return cohort


# ---------------------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames_and_truth(small):
    again = generate_demo(500, seed=3)
    for name in TABLES:
        pd.testing.assert_frame_equal(small.tables[name], again.tables[name])
    assert small.ground_truth == again.ground_truth


def test_a_different_seed_gives_different_data(small):
    other = generate_demo(500, seed=4)
    assert not small.tables["subscriptions"].equals(other.tables["subscriptions"])
    assert not small.tables["usage_events"].equals(other.tables["usage_events"])


def test_writing_twice_gives_byte_identical_files(tmp_path):
    for fmt in ("csv", "parquet"):
        first = write_demo(tmp_path / f"a_{fmt}", 150, seed=5, fmt=fmt).out_dir
        second = write_demo(tmp_path / f"b_{fmt}", 150, seed=5, fmt=fmt).out_dir
        names = sorted(p.name for p in first.iterdir())
        assert names == sorted(p.name for p in second.iterdir())
        for name in names:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_sharded_files_hold_the_same_data_as_the_in_memory_frames(tmp_path, monkeypatch):
    # 1,500 accounts = two shards (1,000 + 500); one write batch per shard exercises the incremental path
    monkeypatch.setattr("cskpi_analysis.demo._write._WRITE_BATCH_SHARDS", 1)
    summary = write_demo(tmp_path / "out", 1500, seed=9, fmt="parquet")
    in_memory = generate_demo(1500, seed=9)
    assert pq.ParquetFile(tmp_path / "out" / "usage_events.parquet").num_row_groups == 2
    for name in TABLES:
        # Parquet has no second-resolution timestamps: pyarrow stores milliseconds; cast back to compare
        from_file = pq.read_table(tmp_path / "out" / f"{name}.parquet").cast(_schema(name))
        pd.testing.assert_frame_equal(_to_pandas(from_file), in_memory.tables[name])
        assert summary.row_counts[name] == len(in_memory.tables[name])
    assert summary.ground_truth == in_memory.ground_truth


# ---------------------------------------------------------------------------------------------- the contract


def test_every_table_has_exactly_the_contract_columns_in_order(small):
    assert list(small.tables) == list(TABLES)
    for name, table in TABLES.items():
        assert list(small.tables[name].columns) == [c.name for c in table.columns], name


def test_subscriptions_end_after_they_start_and_nothing_lies_after_as_of(small):
    subs = small.tables["subscriptions"]
    ended = subs.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    assert (subs["start_date"] <= AS_OF).all() and (ended["end_date"] <= AS_OF).all()
    assert (small.tables["accounts"]["signup_date"] <= AS_OF).all()
    for name, table in TABLES.items():
        for column in table.columns:
            if column.type == "timestamp":  # documented: every timestamp lies before midnight starting as_of
                assert (small.tables[name][column.name].dropna() < AS_OF).all(), (name, column.name)
            elif column.not_after_as_of:
                assert (small.tables[name][column.name].dropna() <= AS_OF).all(), (name, column.name)


def test_numbers_respect_the_contract_bounds(small):
    subs = small.tables["subscriptions"]
    assert (subs["mrr"] >= 1).all() and (subs["mrr"] == subs["mrr"].round()).all()
    assert set(subs["billing_period_months"]) <= {1, 12}
    for name, table in TABLES.items():
        for column in table.columns:
            values = small.tables[name][column.name].dropna()
            if column.minimum is not None:
                assert (values >= column.minimum).all(), (name, column.name)
            if column.maximum is not None:
                assert (values <= column.maximum).all(), (name, column.name)
            if column.required and not column.nullable:
                assert small.tables[name][column.name].notna().all(), (name, column.name)


def test_unique_keys_are_unique_and_account_references_resolve(small):
    account_ids = set(small.tables["accounts"]["account_id"])
    for name, table in TABLES.items():
        frame = small.tables[name]
        if table.unique_key:
            assert not frame.duplicated(list(table.unique_key)).any(), name
        if table.account_reference:
            assert set(frame["account_id"]) <= account_ids, name


def test_ticket_timestamps_are_in_order(small):
    tickets = small.tables["support_tickets"]
    responded = tickets.dropna(subset=["first_response_at"])
    assert (responded["first_response_at"] > responded["opened_at"]).all()
    resolved = tickets.dropna(subset=["resolved_at"])
    assert resolved["first_response_at"].notna().all()
    assert (resolved["resolved_at"] >= resolved["first_response_at"]).all()
    assert tickets.loc[tickets["resolved_at"].isna(), "csat"].isna().all()
    assert 0 < tickets["csat"].isna().mean() < 1


def test_accounts_look_like_a_real_customer_base(small):
    accounts = small.tables["accounts"]
    assert accounts["account_id"].str.fullmatch(r"ACC-\d{6}").all()
    assert accounts["email"].str.fullmatch(r"ops@[a-z0-9-]+\.example\.com").all()
    assert accounts["name"].is_unique and accounts["email"].is_unique
    assert set(accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert (accounts["currency"] == "USD").all()
    assert set(accounts.loc[accounts["segment"] == "Enterprise", "plan"]) <= {"Scale", "Enterprise"}
    # signups span the three years before as_of and grow: the last year has more than the first
    signup = accounts["signup_date"]
    assert signup.min() >= AS_OF - pd.DateOffset(years=3)
    first_year = (signup < AS_OF - pd.DateOffset(years=2)).sum()
    last_year = (signup >= AS_OF - pd.DateOffset(years=1)).sum()
    assert last_year > 1.5 * first_year


def test_first_subscription_starts_on_signup_or_a_few_days_later(small):
    accounts = _accounts_with_flags(small)
    delay = (accounts["first_start"] - accounts["signup_date"]).dt.days
    assert delay.between(0, 5).all()
    assert (delay == 0).mean() > 0.4 and (delay > 0).any()


def test_usage_happens_only_while_an_account_is_covered(small):
    blocks = _coverage_blocks(small.tables["subscriptions"]).sort_values("start")
    usage = small.tables["usage_events"].sort_values("occurred_at")
    placed = pd.merge_asof(usage, blocks, left_on="occurred_at", right_on="start", by="account_id")
    assert placed["start"].notna().all()
    assert (placed["end"].isna() | (placed["occurred_at"] < placed["end"])).all()


def test_default_demo_keeps_usage_sparse():
    # about 160 usage rows per account (measured on 100,000 accounts), so the 2,000-account demo stays < 400k rows
    data = generate_demo(2000, seed=7)
    assert len(data.tables["usage_events"]) < 400_000
    assert data.tables["usage_events"]["user_id"].str.fullmatch(r"U-\d{6}-\d{2}").all()


# ---------------------------------------------------------------------------------------------- planted truth


def test_non_adopters_of_automations_churn_about_twice_as_often_in_12_months(planted):
    cohort = _twelve_month_cohort(_accounts_with_flags(planted))
    share = cohort.groupby("adopter")["churned_12m"].mean()
    # generate_demo(100_000, seed=1): non-adopters 0.409, adopters 0.204 (ratio 2.0); SE of the ratio here ~0.14
    assert share[False] - share[True] > 0.12
    assert 1.5 < share[False] / share[True] < 2.6


def test_slow_time_to_first_value_accounts_churn_more(planted):
    cohort = _twelve_month_cohort(_accounts_with_flags(planted))
    share = cohort.groupby("slow_ttfv")["churned_12m"].mean()
    # generate_demo(100_000, seed=1): slow 0.381, fast 0.264 (ratio 1.45); SE of the ratio here ~0.09
    assert 1.15 < share[True] / share[False] < 1.8


def test_enterprise_churns_less_than_smb(planted):
    cohort = _twelve_month_cohort(_accounts_with_flags(planted))
    share = cohort.groupby("segment")["churned_12m"].mean()
    # generate_demo(100_000, seed=1): Enterprise 0.100, Mid-Market 0.204, SMB 0.386
    assert share["Enterprise"] < share["Mid-Market"] < share["SMB"]
    assert share["Enterprise"] < 0.5 * share["SMB"]


def test_a_landmark_cox_model_recovers_the_planted_hazard_ratios(planted):
    from lifelines import CoxPHFitter

    accounts = _accounts_with_flags(planted)
    landmark = accounts["first_start"] + pd.Timedelta(days=30)
    accounts = accounts[(landmark <= AS_OF) & ~(accounts["first_end"] < landmark)]
    tickets = planted.tables["support_tickets"].join(accounts["first_start"], on="account_id", how="inner")
    early = tickets[tickets["opened_at"] < tickets["first_start"] + pd.Timedelta(days=30)]
    frame = pd.DataFrame(
        {
            "months": (accounts["first_end"].fillna(AS_OF) - accounts["first_start"]).dt.days / (365.25 / 12),
            "churned": accounts["first_end"].notna().astype(int),
            "no_key_feature_30d": (~accounts["adopter"]).astype(int),
            "slow_ttfv": accounts["slow_ttfv"].astype(int),
            "mid_market": (accounts["segment"] == "Mid-Market").astype(int),
            "enterprise": (accounts["segment"] == "Enterprise").astype(int),
            "early_tickets": early.groupby("account_id").size().reindex(accounts.index, fill_value=0),
        }
    )
    hazard_ratio = CoxPHFitter().fit(frame, "months", "churned").hazard_ratios_
    # planted 2.0 / 1.6 / 1.0; SE of log HR ~0.07 at n = 4,000 (a 20,000-account fit, seed 21, gives 2.02 / 1.65 / 1.00)
    assert 1.6 < hazard_ratio["no_key_feature_30d"] < 2.5
    assert 1.3 < hazard_ratio["slow_ttfv"] < 2.0
    assert 0.85 < hazard_ratio["early_tickets"] < 1.18


def test_adoption_share_by_segment_matches_the_planted_probabilities(planted):
    accounts = _accounts_with_flags(planted)
    observed = accounts[accounts["first_start"] + pd.Timedelta(days=30) <= AS_OF]
    alive = observed[~(observed["first_end"] < observed["first_start"] + pd.Timedelta(days=30))]
    share = alive.groupby("segment")["adopter"].mean()
    # planted 0.45 / 0.60 / 0.70; churners before day 30 are dropped, which favours adopters by ~1 point
    assert share["SMB"] == pytest.approx(0.45, abs=0.05)
    assert share["Mid-Market"] == pytest.approx(0.60, abs=0.06)
    assert share["Enterprise"] == pytest.approx(0.70, abs=0.09)


def test_covariate_flags_do_not_depend_on_using_signup_date_as_origin(planted):
    accounts = _accounts_with_flags(planted)
    usage = planted.tables["usage_events"]
    automations = usage[usage["feature"] == "automations"].join(accounts["signup_date"], on="account_id")
    in_window = automations["occurred_at"] < automations["signup_date"] + pd.Timedelta(days=30)
    adopters_by_signup = set(automations.loc[in_window, "account_id"])
    assert adopters_by_signup == set(accounts.index[accounts["adopter"]])


def test_some_accounts_churn_before_the_30_day_landmark(planted):
    accounts = _accounts_with_flags(planted)
    early = accounts["first_end"] < accounts["first_start"] + pd.Timedelta(days=30)
    assert 10 < early.sum() < 0.1 * len(accounts)


def test_usage_declines_over_the_three_months_before_churn(planted):
    blocks = _coverage_blocks(planted.tables["subscriptions"]).dropna(subset=["end"])
    blocks = blocks[blocks["end"] - blocks["start"] > pd.Timedelta(days=200)]
    usage = planted.tables["usage_events"].merge(blocks, on="account_id")
    days_before_end = (usage["end"] - usage["occurred_at"]).dt.days
    last_month = ((days_before_end >= 0) & (days_before_end < 30)).sum()
    months_4_to_6 = ((days_before_end >= 90) & (days_before_end < 180)).sum() / 3
    # planted: activity falls linearly to 10% at churn, so the last 30 days average ~25% of normal
    assert last_month < 0.45 * months_4_to_6


def test_health_score_is_lower_in_the_three_months_before_churn(planted):
    blocks = _coverage_blocks(planted.tables["subscriptions"])
    scores = planted.tables["health_scores"].merge(blocks, on="account_id")
    scores = scores[
        (scores["scored_at"] >= scores["start"]) & (scores["end"].isna() | (scores["scored_at"] < scores["end"]))
    ]
    horizon = scores["scored_at"] + pd.Timedelta(days=90)
    churns_soon = scores["end"].notna() & (scores["end"] <= horizon)
    stays = (scores["end"].isna() | (scores["end"] > horizon)) & (horizon <= AS_OF)
    gap = scores.loc[stays, "score"].mean() - scores.loc[churns_soon, "score"].mean()
    assert gap > 10


def test_ground_truth_reports_a_partly_informative_health_score(planted):
    rho = planted.ground_truth["summary"]["health_score_spearman_account_mean_score_vs_latent_log_hazard"]
    # seed 11, n = 4,000 gives about -0.63; "partly informative" means clearly negative but far from -1
    assert -0.85 < rho < -0.35


def test_csms_contact_low_health_accounts_about_two_and_a_half_times_as_often(planted):
    activities = planted.tables["cs_activities"]
    activities = activities[activities["activity_type"] != "qbr"]
    month = activities["occurred_at"].dt.to_period("M").dt.to_timestamp()
    counts = activities.groupby([activities["account_id"], month]).size().rename("activities")
    scores = planted.tables["health_scores"].join(counts, on=["account_id", "scored_at"])
    scores["activities"] = scores["activities"].fillna(0)
    scores = scores.join(planted.tables["accounts"].set_index("account_id")["segment"], on="account_id")
    smb = scores[scores["segment"] == "SMB"]
    low = smb.loc[smb["score"] < 50, "activities"].mean()
    high = smb.loc[smb["score"] >= 50, "activities"].mean()
    # planted: rate x 2.5 below a score of 50; months cut short by churn or as_of pull both means down a little
    assert 1.9 < low / high < 3.1


def test_early_tickets_carry_no_churn_signal_within_a_segment(planted):
    cohort = _twelve_month_cohort(_accounts_with_flags(planted))
    cohort = cohort[cohort["segment"] == "SMB"]
    tickets = planted.tables["support_tickets"].join(cohort["first_start"], on="account_id", how="inner")
    early = tickets[tickets["opened_at"] < tickets["first_start"] + pd.Timedelta(days=30)]
    has_early = cohort.index.isin(early["account_id"])
    share_with, share_without = cohort["churned_12m"][has_early].mean(), cohort["churned_12m"][~has_early].mean()
    # planted hazard ratio 1.0; ~200 vs ~1,000 accounts, so the difference has SE ~0.04
    assert abs(share_with - share_without) < 0.12


def test_there_are_reactivations_quick_returns_and_accounts_active_at_as_of(planted):
    blocks = _coverage_blocks(planted.tables["subscriptions"])
    returning = blocks[blocks["block"] == 2].set_index("account_id")
    first = blocks[blocks["block"] == 1].set_index("account_id").loc[returning.index]
    gap_days = (returning["start"] - first["end"]).dt.days
    assert len(returning) > 50
    assert gap_days.between(10, 20).sum() >= 5 and gap_days.between(30, 243).sum() >= 20
    active = blocks.groupby("account_id")["end"].apply(lambda ends: ends.isna().any())
    assert 0.3 < active.mean() < 0.9


def test_annual_accounts_churn_only_at_renewal_anniversaries(planted):
    blocks = _coverage_blocks(planted.tables["subscriptions"])
    annual = blocks[(blocks["first_billing"] == 12) & blocks["end"].notna()]
    assert len(annual) > 100
    for start, end in zip(annual["start"], annual["end"], strict=True):
        years = round((end - start).days / 365.25)
        assert years >= 1 and end == start + pd.DateOffset(years=years), (start, end)


def test_expansions_and_contractions_replace_a_subscription_on_the_same_day(planted):
    subs = planted.tables["subscriptions"]
    main_plan = subs[subs["plan"] != "Add-on"].sort_values(["account_id", "start_date"])
    following = main_plan.groupby("account_id")[["start_date", "mrr"]].shift(-1)
    replaced = main_plan["end_date"] == following["start_date"]
    assert replaced.sum() > 100
    assert (main_plan.loc[replaced, "mrr"] < following.loc[replaced, "mrr"]).sum() > 0  # expansions
    assert (main_plan.loc[replaced, "mrr"] > following.loc[replaced, "mrr"]).sum() > 0  # contractions
    assert (subs["plan"] == "Add-on").sum() > 20


def test_mrr_medians_follow_the_segments(planted):
    subs = planted.tables["subscriptions"].join(
        planted.tables["accounts"].set_index("account_id")["segment"], on="account_id"
    )
    median = subs[subs["plan"] != "Add-on"].groupby("segment")["mrr"].median()
    # planted medians $300 / $1,500 / $8,000 at the first subscription; expansions drift them up a little
    assert median["SMB"] == pytest.approx(300, rel=0.2)
    assert median["Mid-Market"] == pytest.approx(1500, rel=0.2)
    assert median["Enterprise"] == pytest.approx(8000, rel=0.25)


def test_ground_truth_holds_what_an_analysis_must_recover(planted):
    truth = planted.ground_truth
    json.dumps(truth)  # serialisable as written
    parameters = truth["parameters"]
    assert parameters["churn"]["hazard_ratios"]["no_key_feature_30d"] == 2.0
    assert parameters["churn"]["hazard_ratios"]["slow_ttfv"] == 1.6
    assert parameters["churn"]["hazard_ratios"]["early_ticket_count"] == 1.0
    assert parameters["churn"]["base_monthly_hazard_by_segment"] == {
        "SMB": 0.025,
        "Mid-Market": 0.012,
        "Enterprise": 0.006,
    }
    assert parameters["covariates"]["landmark_days"] == 30
    assert parameters["covariates"]["no_key_feature_30d"]["key_feature"] == "automations"
    assert parameters["covariates"]["slow_ttfv"]["threshold_days"] == 30
    assert parameters["usage"]["decline_lead_months"] == 3
    assert {"a", "b", "c", "account_noise_sd", "monthly_noise_sd"} <= set(parameters["health_score"])
    assert "confounding_rule" in parameters["cs_activities"]
    assert "exponential" in truth["generative_model"] and truth["n_accounts"] == N_PLANTED
    assert planted.config.key_features == ("reports", "integrations", "automations")
    assert planted.config.as_of == DEFAULT_AS_OF


# ---------------------------------------------------------------------------------------------- files and CLI


def test_cli_writes_every_table_config_and_ground_truth_as_csv(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--accounts", "120", "--seed", "2", "--out", str(out), "--as-of", "2025-06-30"]) == 0
    assert "usage_events.csv" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{name}.csv" for name in TABLES] + ["cskpi.toml", GROUND_TRUTH_FILE]
    )
    assert load_config(out).as_of == dt.date(2025, 6, 30)
    assert json.loads((out / GROUND_TRUTH_FILE).read_text())["as_of"] == "2025-06-30"
    for name, table in TABLES.items():
        frame = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(frame.columns) == [c.name for c in table.columns]
        for column in table.columns:
            values = frame[column.name][frame[column.name] != ""]
            if column.type == "date":
                assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, column.name)
            if column.type == "timestamp":
                assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all(), (name, column.name)
    subs = pd.read_csv(out / "subscriptions.csv", dtype=str, keep_default_na=False)
    assert (subs["end_date"] == "").any()  # still-active subscriptions have an empty end_date


def test_cli_replaces_a_previous_demo_output_and_leaves_no_temporary_folders(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--accounts", "50", "--out", str(out)]) == 0
    (out / ".complete").touch()  # what `make demo` adds
    assert main(["demo", "--accounts", "60", "--out", str(out), "--format", "parquet"]) == 0
    assert not (out / "accounts.csv").exists() and not (out / ".complete").exists()
    assert pq.read_table(out / "accounts.parquet").num_rows == 60
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]


def test_cli_refuses_a_non_empty_folder_that_is_not_a_demo_output(tmp_path, capsys):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["demo", "--accounts", "20", "--out", str(out)]) == 1
    assert "not a previous demo output" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["precious"]


def test_cli_rejects_a_malformed_as_of_date(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--out", str(tmp_path / "x"), "--as-of", "30/09/2026"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_generation_never_reads_the_clock():
    modules = sorted(Path(demo.__file__).parent.glob("*.py"))
    assert len(modules) > 1
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert re.search(r"date\.today|datetime\.now|\.today\(\)", source) is None, module.name


def test_a_month_is_365_25_over_12_days_in_the_code_the_docs_and_the_ground_truth(small):
    # docs/demo_data.md, "Times are in days; a month is 365.25 / 12 days": 30.4375 days, the unit of every
    # planted monthly hazard (ground_truth.json's hazard_unit says the same)
    assert _MONTH_DAYS == 30.4375
    assert small.ground_truth["parameters"]["churn"]["hazard_unit"] == "per month, month = 365.25/12 days"
    docs = Path(__file__).resolve().parents[1] / "docs" / "demo_data.md"
    assert "a month is 365.25 / 12 days" in docs.read_text(encoding="utf-8")
