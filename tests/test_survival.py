"""Tests of the landmark survival analysis (the cskpi_analysis/survival/ package, the landmark SQL models
and the ``cskpi survival`` command).

Known answers are hand-computed in comments or cross-checked against lifelines called
directly; the planted effects come from the demo generator (docs/demo_data.md): hazard
ratio 2.0 for not using automations in days [0, 30), 1.6 for no first value by day 30,
none for early tickets and CSAT.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from numpy.testing import assert_allclose

from cskpi_analysis import survival
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.survival import _covariates, _cox, _km
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder

D = dt.date


# --------------------------------------------------------------------------- hand-built frame

# durations (days from the first paid day) and churn flags of ten landmark accounts
DURATIONS = [40, 50, 50, 60, 70, 80, 90, 100, 200, 365]
CHURNED = [1, 1, 0, 1, 0, 1, 0, 1, 0, 0]
USED = [0, 0, 1, 0, 1, 0, 1, 1, 0, 1]


def hand_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "duration_days": np.array(DURATIONS, dtype=float),
            "churned": np.array(CHURNED, dtype=bool),
            "not_adopted_automations": [not u for u in USED],
            "adopted_automations": [bool(u) for u in USED],
            "active_days": [2.0, 3, 9, 1, 12, 4, 8, 10, 15, 20],
            "reached_first_value": [False, True, True, False, True, False, True, True, True, True],
            "segment": "SMB",
            "billing_period": "monthly",
        }
    )
    frame["no_first_value"] = ~frame["reached_first_value"]
    frame.attrs.update(landmark_days=30, horizon_days=365, key_features=("automations",))
    return frame


AUTOMATIONS = survival.Covariate(
    "not_adopted_automations", "Did not use automations by day 30", "", 30, "binary", "not used vs used"
)


def test_kaplan_meier_risk_matches_a_hand_computation_and_lifelines():
    frame = hand_frame()
    everyone = survival.Behaviour(
        "all", "All accounts", _km._ordered(pd.Series("all", index=frame.index), ["all"]), "x"
    )
    risk = survival.risk_at_horizon(frame, everyone).iloc[0]
    # S(365) = 9/10 * 8/9 * 6/7 * 4/5 * 2/3 = 0.365714 (churns at 40, 50, 60, 80, 100)
    assert risk["churn_risk"] == pytest.approx(1 - 0.9 * 8 / 9 * 6 / 7 * 4 / 5 * 2 / 3, rel=1e-9)
    # kmf = KaplanMeierFitter().fit(DURATIONS, CHURNED); kmf.confidence_interval_ at 365
    kmf = KaplanMeierFitter().fit(DURATIONS, CHURNED)
    ci = kmf.confidence_interval_survival_function_.iloc[-1]
    assert_allclose([risk["lower_95"], risk["upper_95"]], [1 - ci.iloc[1], 1 - ci.iloc[0]], rtol=1e-9)
    assert (risk["accounts"], risk["events"], risk["at_risk_at_horizon"]) == (10, 5, 1)


def test_kaplan_meier_curves_match_lifelines_band_by_band():
    frame = hand_frame()
    automations = survival.behaviours(frame)[0]
    curves = survival.kaplan_meier_curves(frame, automations)
    used = frame["adopted_automations"]
    kmf = KaplanMeierFitter().fit(frame.loc[used, "duration_days"], frame.loc[used, "churned"])
    band = curves[curves["band"] == "Used automations"]
    assert_allclose(band["survival"], kmf.survival_function_.iloc[:, 0], rtol=1e-12)
    assert_allclose(band["lower_95"], kmf.confidence_interval_survival_function_.iloc[:, 0], rtol=1e-12)


def test_log_rank_matches_lifelines_and_is_holm_adjusted():
    frame = hand_frame()
    behaviour_list = survival.behaviours(frame)
    tests = survival.logrank_tests(frame, behaviour_list)
    used = frame["adopted_automations"]
    # logrank_test(durations[used], durations[~used], churned[used], churned[~used])
    direct = logrank_test(
        frame.loc[used, "duration_days"],
        frame.loc[~used, "duration_days"],
        frame.loc[used, "churned"],
        frame.loc[~used, "churned"],
    )
    row = tests.iloc[0]
    assert row["p_value"] == pytest.approx(direct.p_value, rel=1e-9)
    # Holm: the adjusted p-value is at least the raw one, at most len(tests) times it
    assert (tests["p_holm"] >= tests["p_value"] - 1e-15).all()
    assert (tests["p_holm"] <= np.minimum(1, len(tests) * tests["p_value"]) + 1e-15).all()


def test_cox_hazard_ratio_matches_lifelines_called_directly():
    frame = hand_frame()
    result = survival.cox_model(frame, [AUTOMATIONS], strata=())
    # CoxPHFitter().fit(df[[duration, churned, not_adopted_automations]], "duration_days", "churned")
    direct = CoxPHFitter().fit(
        frame[["duration_days", "churned", "not_adopted_automations"]].astype(float), "duration_days", "churned"
    )
    row = result.hazard_ratios.iloc[0]
    summary = direct.summary.loc["not_adopted_automations"]
    assert_allclose(
        [row["hazard_ratio"], row["lower_95"], row["upper_95"], row["p_value"]],
        [summary["exp(coef)"], summary["exp(coef) lower 95%"], summary["exp(coef) upper 95%"], summary["p"]],
        rtol=1e-6,
    )
    assert result.concordance == pytest.approx(direct.concordance_index_, rel=1e-9)
    # 5 churns for 1 covariate: the small-sample warning is raised
    assert any("churns for 1 covariates" in w for w in result.warnings)


def test_cox_reports_a_continuous_covariate_per_its_unit():
    frame = hand_frame()
    per_day = survival.Covariate("active_days", "Active days", "", 30, "count", "1 active day")
    per_five = survival.Covariate("active_days", "Active days", "", 30, "count", "5 active days", per=5.0)
    one = survival.cox_model(frame, [per_day], strata=()).hazard_ratios.iloc[0]
    five = survival.cox_model(frame, [per_five], strata=()).hazard_ratios.iloc[0]
    assert five["hazard_ratio"] == pytest.approx(one["hazard_ratio"] ** 5, rel=1e-4)


def test_the_analysis_functions_do_not_mutate_the_frame():
    frame = hand_frame()
    before = frame.copy()
    survival.cox_model(frame, [AUTOMATIONS], strata=("segment",))
    survival.logrank_tests(frame, survival.behaviours(frame))
    pd.testing.assert_frame_equal(frame, before)


# --------------------------------------------------------------------------- immortal-time guard


def test_the_immortal_time_guard_refuses_a_covariate_observed_after_the_landmark():
    frame = hand_frame()
    uncapped = survival.Covariate(
        "days_to_first_value", "Days to first value", "uncapped", math.inf, "continuous", "10 days", per=10
    )
    with pytest.raises(AnalysisError, match="days_to_first_value"):
        survival.cox_model(frame, [AUTOMATIONS, uncapped])
    ever = survival.Covariate("ever_adopted", "Ever used automations", "", 365, "binary", "yes vs no")
    with pytest.raises(AnalysisError, match="ever_adopted.*day 365"):
        survival.logistic_model(frame, [ever])
    survival.check_observation_windows([AUTOMATIONS], landmark_days=30)  # on the landmark: allowed


def test_the_default_registry_only_holds_covariates_observed_by_the_landmark():
    frame = hand_frame()
    covariates = survival.default_covariates(frame)
    assert {c.name for c in covariates} >= {"not_adopted_automations", "no_first_value", "active_days"}
    assert all(c.window_end_days <= 30 for c in covariates)


# --------------------------------------------------------------------------- SQL: spells and landmark


def write_events(folder: Path) -> None:
    """Usage, tickets, NPS and milestones around the day-30 boundary of account A (day 0 = 2023-01-01)."""
    pd.DataFrame(
        [
            ("A", "2022-12-31 10:00:00", "automations", "u1"),  # day -1: before the first paid day
            ("A", "2023-01-05 10:00:00", "dashboard", "u1"),  # day 4
            ("A", "2023-01-30 23:59:00", "automations", "u2"),  # day 29: the last day inside
            ("A", "2023-01-31 00:00:00", "reports", "u3"),  # day 30: the landmark, outside
            ("D", "2023-01-10 09:00:00", "reports", "u9"),  # day 9
        ],
        columns=["account_id", "occurred_at", "feature", "user_id"],
    ).to_csv(folder / "usage_events.csv", index=False)
    pd.DataFrame(
        [
            # day 4, answered after 6 h, resolved on day 7 with CSAT 2: counted
            ("A", "T1", "2023-01-05 08:00:00", "2023-01-05 14:00:00", "2023-01-08 08:00:00", 2),
            # day 19, first response on day 40 (after the landmark: capped at day 30), rated 5 on day 40: not counted
            ("A", "T2", "2023-01-20 00:00:00", "2023-02-10 00:00:00", "2023-02-10 00:00:00", 5),
            # day 30: outside the window
            ("A", "T3", "2023-01-31 12:00:00", "2023-01-31 13:00:00", "2023-02-01 00:00:00", 1),
        ],
        columns=["account_id", "ticket_id", "opened_at", "first_response_at", "resolved_at", "csat"],
    ).to_csv(folder / "support_tickets.csv", index=False)
    pd.DataFrame(
        [("A", "2023-01-04 10:00:00", 9), ("A", "2023-02-01 10:00:00", 0)],
        columns=["account_id", "responded_at", "score"],
    ).to_csv(folder / "nps_responses.csv", index=False)
    pd.DataFrame(
        [("A", "first_value", "2023-01-13 10:00:00"), ("D", "first_value", "2023-01-31 10:00:00")],
        columns=["account_id", "milestone", "achieved_at"],
    ).to_csv(folder / "milestones.csv", index=False)


@pytest.fixture(scope="module")
def landmark_con(tmp_path_factory):
    folder = write_folder(
        tmp_path_factory.mktemp("landmark"),
        [
            ("A", "2023-01-01", None, 100, 1),  # ongoing: in the cohort, censored at the horizon
            ("B", "2023-01-01", "2023-01-20", 100, 1),  # churned on day 19: excluded
            ("C", "2023-01-01", "2023-01-31", 100, 1),  # first unpaid day = day 30: not paying on the landmark
            ("D", "2023-01-01", "2023-02-01", 100, 1),  # churned on day 31: in the cohort, event at 31
            ("E", "2024-03-15", None, 100, 1),  # landmark 2024-04-14 after as_of: too young
            ("F", "2023-01-01", "2023-03-01", 100, 1),  # expansion the day it ends: one spell to day 120
            ("F", "2023-03-01", "2023-05-01", 150, 1),
            ("F", "2023-06-01", None, 150, 1),  # reactivation: the first churn stays day 120
            ("G", "2023-01-01", "2024-01-01", 100, 12),  # annual, not renewed: churns on day 365
            ("H", "2023-10-01", None, 100, 1),  # 183 days old at as_of: censored at as_of
            ("Z", "2023-01-01", "2023-03-01", 0, 1),  # free plan: never paid, no spell
        ],
    )
    write_events(folder)
    config = AnalysisConfig(as_of=D(2024, 4, 1), key_features=("automations", "reports"))
    return build_marts(folder, config), config


def test_spells_merge_contiguous_subscriptions_and_a_reactivation_is_a_second_spell(landmark_con):
    con, _ = landmark_con
    rows = con.execute(
        "select spell_number, spell_start_date, spell_end_date from int_account_spells where account_id = 'F' "
        "order by spell_number"
    ).fetchall()
    assert rows == [(1, D(2023, 1, 1), D(2023, 5, 1)), (2, D(2023, 6, 1), None)]
    assert con.execute("select count(*) from int_account_spells where account_id = 'Z'").fetchone() == (0,)


def test_the_landmark_excludes_accounts_that_churned_before_day_30(landmark_con):
    con, config = landmark_con
    frame = survival.survival_frame(con, config=config)
    assert sorted(frame["account_id"]) == ["A", "D", "F", "G", "H"]
    reasons = dict(con.execute("select account_id, exclusion_reason from int_landmark_cohort").fetchall())
    assert reasons["B"] == reasons["C"] == "churned before the landmark"
    assert reasons["E"] == "landmark after as_of"
    cohort = survival.landmark_cohort(con).set_index("group")["accounts"]
    assert cohort["Landmark cohort"] == 5 and cohort["Excluded: churned before the landmark"] == 2


def test_the_outcome_is_the_first_churn_censored_at_the_horizon_or_as_of(landmark_con):
    con, config = landmark_con
    frame = survival.survival_frame(con, config=config).set_index("account_id")
    outcome = frame[["duration_days", "churned", "observable_to_horizon"]]
    assert outcome.loc["A"].tolist() == [365, False, True]  # still paying: censored at the horizon
    assert outcome.loc["D"].tolist() == [31, True, True]
    assert outcome.loc["F"].tolist() == [120, True, True]  # first churn, despite the reactivation
    assert outcome.loc["G"].tolist() == [365, True, True]  # 2023-01-01 + 365 days = 2024-01-01, the renewal
    assert outcome.loc["H"].tolist() == [183, False, False]  # 2023-10-01 to as_of 2024-04-01


def test_covariates_only_count_what_happened_in_the_first_30_days(landmark_con):
    con, config = landmark_con
    a = survival.survival_frame(con, config=config).set_index("account_id").loc["A"]
    # usage on days 4 and 29 (the events on day -1 and day 30 are outside)
    assert (a["active_days"], a["features_used"], a["active_users"]) == (2, 2, 2)
    assert bool(a["adopted_automations"]) and not bool(a["adopted_reports"])
    assert a["key_features_adopted"] == 1
    # tickets on days 4 and 19 (day 30 outside); responses 6 h and (capped at the landmark) 11 days = 264 h
    assert a["tickets_opened"] == 2
    assert a["median_first_response_hours"] == pytest.approx((6 + 264) / 2)
    assert a["mean_csat"] == pytest.approx(2.0)  # T2 was rated after the landmark
    assert (a["nps_responses"], a["nps_mean"]) == (1, 9.0)
    assert bool(a["reached_first_value"]) and a["days_to_first_value"] == 12
    d = survival.survival_frame(con, config=config).set_index("account_id").loc["D"]
    # D reached first value on day 30: not within the window, capped at the landmark
    assert not bool(d["reached_first_value"]) and pd.isna(d["days_to_first_value"])
    assert d["days_to_first_value_capped"] == 30


def test_another_landmark_reads_another_warehouse_and_leaves_the_callers_unchanged(landmark_con):
    con, _config = landmark_con
    frame = survival.survival_frame(con, 60, 365)
    # D (churned on day 31) no longer reaches the landmark; A's reports use on day 30 now counts
    assert "D" not in set(frame["account_id"])
    assert bool(frame.set_index("account_id").loc["A", "adopted_reports"])
    # the caller's warehouse still holds the day-30 mart: nothing was rebuilt behind its back
    landmarks = con.execute("select distinct landmark_days from mart_account_landmark").fetchall()
    assert landmarks == [(30,)]
    assert "D" in set(survival.survival_frame(con)["account_id"])


def test_time_to_first_value_censors_accounts_without_value(landmark_con):
    con, _ = landmark_con
    ttfv = survival.ttfv_frame(con).set_index("account_id")
    assert ttfv.loc["A"].tolist()[1:] == [12.0, True]
    assert ttfv.loc["D"].tolist()[1:] == [30.0, True]
    # F never reached value: censored at its first churn (day 120)
    assert ttfv.loc["F"].tolist()[1:] == [120.0, False]


# --------------------------------------------------------------------------- planted effects on demo data


@pytest.fixture(scope="module")
def demo_frame(tmp_path_factory):
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.warehouse import connect

    folder = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(folder, 6000, seed=11)
    con, config = connect(folder)
    return con, config, survival.survival_frame(con, config=config)


def test_cox_recovers_the_planted_hazard_ratios(demo_frame):
    _, _, frame = demo_frame
    hr = survival.cox_model(frame, survival.default_covariates(frame)).hazard_ratios.set_index("covariate")
    # planted (docs/demo_data.md): HR 2.0 for no automations by day 30, 1.6 for no first value by day 30;
    # seed 11, 6000 accounts gives 2.01 (1.78-2.27) and 1.59 (1.42-1.78)
    for covariate, planted in (("not_adopted_automations", 2.0), ("no_first_value", 1.6)):
        assert hr.loc[covariate, "lower_95"] <= planted <= hr.loc[covariate, "upper_95"], covariate
    # no effect planted for early tickets, CSAT or the other key features: at most one of the four at p < 0.05
    noise = ["tickets_opened", "low_csat", "not_adopted_reports", "not_adopted_integrations"]
    assert (hr.loc[noise, "p_value"] < 0.05).sum() <= 1


def test_the_logistic_model_beats_chance_out_of_time(demo_frame):
    _, _, frame = demo_frame
    result = survival.logistic_model(frame, survival.default_covariates(frame))
    assert 0.6 < result.auc < 0.9
    assert result.out_of_time["auc"] > 0.6
    # calibration: the deciles' mean prediction equals the observed rate overall (logit with an intercept)
    calibration = result.calibration
    weighted = (calibration["predicted"] * calibration["accounts"]).sum() / calibration["accounts"].sum()
    observed = (calibration["observed"] * calibration["accounts"]).sum() / calibration["accounts"].sum()
    assert weighted == pytest.approx(observed, abs=1e-6)


def test_verdicts_call_the_planted_behaviours_predictive(demo_frame):
    _, _, frame = demo_frame
    covariates = survival.default_covariates(frame)
    cox = survival.cox_model(frame, covariates)
    behaviour_list = survival.behaviours(frame)
    table = survival.verdicts(frame, cox, behaviour_list, survival.logrank_tests(frame, behaviour_list))
    verdict = table.set_index("behaviour")["predictive"]
    assert verdict["Used automations by day 30"] and verdict["Reached first value by day 30"]
    assert not verdict["Used reports by day 30"]


def _cox_data(frame: pd.DataFrame, covariates, strata=survival.DEFAULT_STRATA) -> pd.DataFrame:
    data = _covariates._design(frame, covariates)
    data["duration_days"] = frame["duration_days"].astype(float)
    data["churned"] = frame["churned"].astype(bool)
    for s in strata:
        data[s] = frame[s].astype(str)
    return data


def test_the_cox_model_is_the_one_lifelines_fits_and_tests_the_slow_way_to_the_last_bit(demo_frame):
    # cox_model numbers the strata in one column and computes the Schoenfeld residuals itself (fast);
    # lifelines called directly, with the strata as columns and its own residuals, must agree exactly
    from lifelines.statistics import proportional_hazard_test

    _, _, frame = demo_frame
    covariates = survival.default_covariates(frame)
    result = survival.cox_model(frame, covariates)
    data = _cox_data(frame, covariates)
    direct = CoxPHFitter().fit(data, "duration_days", "churned", strata=list(survival.DEFAULT_STRATA))
    summary = direct.summary.loc[[c.name for c in covariates]]
    assert result.hazard_ratios["hazard_ratio"].tolist() == summary["exp(coef)"].tolist()
    assert result.hazard_ratios["lower_95"].tolist() == summary["exp(coef) lower 95%"].tolist()
    assert result.hazard_ratios["upper_95"].tolist() == summary["exp(coef) upper 95%"].tolist()
    assert result.hazard_ratios["p_value"].tolist() == summary["p"].tolist()
    assert result.concordance == direct.concordance_index_
    ph = proportional_hazard_test(direct, data, time_transform="rank").summary
    assert result.ph_test["test_statistic"].tolist() == ph["test_statistic"].tolist()
    assert result.ph_test["p_value"].tolist() == ph["p"].tolist()


@pytest.mark.parametrize("strata", [(), ("segment",), survival.DEFAULT_STRATA])
def test_scaled_schoenfeld_residuals_equal_lifelines_exactly(demo_frame, strata):
    _, _, frame = demo_frame
    covariates = survival.default_covariates(frame)
    data, fit_strata = _cox._one_stratum_column(_cox_data(frame, covariates, strata), strata)
    fitter = CoxPHFitter().fit(data, "duration_days", "churned", strata=fit_strata)
    pd.testing.assert_frame_equal(
        _cox._scaled_schoenfeld(fitter, data),
        fitter.compute_residuals(data, kind="scaled_schoenfeld"),
        check_exact=True,
    )
    # ties: the hand frame has two accounts leaving on day 50
    hand = hand_frame()[["duration_days", "churned", "active_days"]].astype(float)
    fitter = CoxPHFitter().fit(hand, "duration_days", "churned")
    pd.testing.assert_frame_equal(
        _cox._scaled_schoenfeld(fitter, hand), fitter.compute_residuals(hand, "scaled_schoenfeld"), check_exact=True
    )


def _cox_frames(result):
    return (result.hazard_ratios, result.ph_test, result.concordance, result.events, result.accounts, result.strata,
            result.warnings)  # fmt: skip


def _logistic_frames(result):
    return (result.odds_ratios, result.auc, result.brier, result.calibration, result.out_of_time,
            result.out_of_time_calibration, result.accounts, result.events)  # fmt: skip


def _assert_same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert type(a.index) is type(b.index)
    elif isinstance(a, tuple | list):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    else:
        assert type(a) is type(b) and a == b


def test_kept_results_are_the_computed_ones_read_back_exactly(tmp_path):
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.warehouse import open_warehouse

    folder = tmp_path / "demo"
    write_demo(folder, 1200, seed=5)
    database = tmp_path / "wh.duckdb"

    def everything(wh, keep):
        frame = survival.survival_frame(wh)
        covariates, _ = survival.available_covariates(frame)
        behaviour_list = survival.behaviours(frame)
        logrank = survival.logrank_tests(frame, behaviour_list, keep=keep)
        cox, refits = survival.cox_with_ph_refits(frame, covariates, keep=keep)
        return [
            frame,
            logrank,
            [survival.kaplan_meier_curves(frame, b, keep=keep) for b in behaviour_list],
            survival.risk_table(frame, behaviour_list, keep=keep),
            survival.risk_at_horizon(frame, survival.ttfv_behaviour(frame), keep=keep),
            [_cox_frames(r) for r in (cox, *refits)],
            _logistic_frames(survival.logistic_model(frame, covariates, keep=keep)),
            survival.verdicts(frame, cox, behaviour_list, logrank, keep=keep),
            survival.ttfv_quantiles(survival.ttfv_frame(wh), keep=keep),
            survival.ttfv_curve(survival.ttfv_frame(wh), keep=keep),
        ]

    with open_warehouse(folder, database=database) as wh:
        computed = everything(wh, None)
        first = everything(wh, wh)  # computed and kept
    kept_files = sorted(p.name.split("_")[0] for p in (tmp_path / "wh.duckdb.d" / "results").glob("*.parquet"))
    assert {"cox", "km", "logistic", "logrank", "risk", "survival", "ttfv"} <= set(kept_files)
    with open_warehouse(folder, database=database) as wh:
        again = everything(wh, wh)  # read back from the files
        # another frame (here: fewer accounts) is not answered with the kept results of the first one
        frame = survival.survival_frame(wh).iloc[:-300]
        covariates, _ = survival.available_covariates(frame)
        _assert_same(
            _cox_frames(survival.cox_with_ph_refits(frame, covariates, keep=wh)[0]),
            _cox_frames(survival.cox_with_ph_refits(frame, covariates)[0]),
        )
    assert computed[0].attrs == first[0].attrs == again[0].attrs
    _assert_same(computed, first)
    _assert_same(computed, again)


def test_first_value_left_out_reads_a_warehouse_as_its_survival_frame(tmp_path):
    from cskpi_analysis.demo import write_demo
    from cskpi_analysis.warehouse import open_warehouse

    folder = tmp_path / "demo"
    write_demo(folder, 400, seed=7)
    with open_warehouse(folder, database=tmp_path / "wh.duckdb") as wh:
        assert survival.first_value_left_out(wh) is None
        assert survival.first_value_left_out(survival.survival_frame(wh, 60, 730)) is None
    (folder / "milestones.csv").unlink()
    with open_warehouse(folder, database=tmp_path / "thin.duckdb") as wh:
        left_out = survival.first_value_left_out(wh)
        assert left_out is not None and left_out == survival.first_value_left_out(survival.survival_frame(wh))


def test_auc_and_brier_match_hand_computations():
    # scores 0.1, 0.4 (no churn), 0.35, 0.8 (churn): pairs (churner > non-churner) = 3 of 4
    assert survival.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # ((0.1)^2 + (0.4)^2 + (0.65)^2 + (0.2)^2) / 4
    assert survival.brier_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.158125)


# --------------------------------------------------------------------------- CLI


def test_the_cli_prints_hazard_ratios_as_json(demo_frame, capsys, tmp_path):
    from cskpi_analysis.cli import main
    from cskpi_analysis.demo import write_demo

    folder = tmp_path / "small"
    write_demo(folder, 1500, seed=3)
    assert main(["survival", str(folder), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["left_out"] == []  # a full demo folder supports every covariate
    records = payload["hazard_ratios"]
    assert {r["covariate"] for r in records} >= {"not_adopted_automations", "no_first_value"}
    assert set(records[0]) == {
        "covariate", "label", "unit", "hazard_ratio", "lower_95", "upper_95", "p_value", "p_holm",
        "ph_test_statistic", "ph_p_value", "violates_ph", "concordance", "accounts", "events",
        "landmark_days", "horizon_days",
    }  # fmt: skip
    assert records[0]["horizon_days"] == 365 and 0.5 < records[0]["concordance"] < 1


def test_lifetime_summary_is_the_kaplan_meier_median_and_restricted_mean(tmp_path):
    from lifelines.utils import restricted_mean_survival_time

    # A churns after 3 months (1 Jan -> 1 Apr = 91 days), B after 6 (1 Jan -> 1 Jul = 182 days),
    # C and D still pay at as_of 31 Dec 2024 (365 days, censored)
    folder = write_folder(
        tmp_path,
        [("A", "2024-01-01", "2024-04-01", 100, 1), ("B", "2024-01-01", "2024-07-01", 100, 1),
         ("C", "2024-01-01", None, 100, 1), ("D", "2024-01-01", None, 100, 1)],
    )  # fmt: skip
    con = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 12, 31)))
    summary = survival.lifetime_summary(con, dt.date(2024, 12, 31), horizon_months=12).set_index("segment")
    months = pd.Series([91, 182, 365, 365]) / (365.25 / 12)
    expected = KaplanMeierFitter().fit(months, [1, 1, 0, 0])  # lifelines called directly on the same frame
    row = summary.loc["All"]
    assert (row["accounts"], row["churned"]) == (4, 2)
    assert row["restricted_mean_months"] == pytest.approx(restricted_mean_survival_time(expected, t=12))
    # S falls to 0.5 at B's churn: the median lifetime is B's 182 days
    assert row["median_lifetime_months"] == pytest.approx(182 / (365.25 / 12))
