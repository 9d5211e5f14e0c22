"""Tests of the leading-indicator analysis (the cskpi_analysis/indicators/ package and mart_indicator_outcomes).

Known answers come first, on frames small enough to check by hand (the expected numbers
are derived in the comments). Then the planted truth of the demo generator
(cskpi_analysis/demo/, docs/demo_data.md) is recovered on 3,000 accounts with a fixed seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cskpi_analysis import indicators as ind
from cskpi_analysis import stats
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError
from cskpi_analysis.indicators import _frame, _lead_time, _matrix, _registry, _worklist
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder

D = dt.date


# --- the mart, on a hand-built folder ---


@pytest.fixture(scope="module")
def mart(tmp_path_factory) -> pd.DataFrame:
    # A pays 100 from 1 Jan 2024 (open); B pays 50 from 1 Jan to 15 Mar (churn in March).
    folder = write_folder(
        tmp_path_factory.mktemp("indicators"),
        [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", "2024-03-15", 50, 1)],
    )
    accounts = pd.read_csv(folder / "accounts.csv")
    accounts["name"] = ["Alpha Ltd", "Beta Ltd"]
    accounts["email"] = ["ceo@alpha.example", "ceo@beta.example"]
    accounts.to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(
        {
            "account_id": ["A", "A", "A"],
            "occurred_at": ["2024-02-01 09:00:00", "2024-02-01 10:00:00", "2024-02-10 09:00:00"],
            "feature": ["reports", "automations", "search"],
            "user_id": ["u1", "u2", "u1"],
        }
    ).to_csv(folder / "usage_events.csv", index=False)
    pd.DataFrame({"account_id": ["A", "A"], "scored_at": ["2024-02-01", "2024-02-20"], "score": [40.0, 55.0]}).to_csv(
        folder / "health_scores.csv", index=False
    )
    pd.DataFrame({"account_id": ["A"], "milestone": ["first_value"], "achieved_at": ["2024-03-11 12:00:00"]}).to_csv(
        folder / "milestones.csv", index=False
    )
    pd.DataFrame(
        {
            "account_id": ["A"],
            "ticket_id": ["T1"],
            "opened_at": ["2024-02-05 08:00:00"],
            "first_response_at": ["2024-02-05 12:00:00"],
            "resolved_at": ["2024-02-06 08:00:00"],
            "csat": [2],
        }
    ).to_csv(folder / "support_tickets.csv", index=False)
    pd.DataFrame(
        {
            "account_id": ["A", "A"],
            "occurred_at": ["2024-02-15 10:00:00", "2024-02-20 10:00:00"],
            "activity_type": ["check_in", "qbr"],
        }
    ).to_csv(folder / "cs_activities.csv", index=False)
    pd.DataFrame({"account_id": ["A"], "responded_at": ["2024-01-15 10:00:00"], "score": [9]}).to_csv(
        folder / "nps_responses.csv", index=False
    )
    config = AnalysisConfig(as_of=D(2024, 6, 30), key_features=("reports", "integrations", "automations"))
    con = build_marts(folder, config)
    return ind.indicator_frame(con)


def row(mart: pd.DataFrame, account: str, month: str) -> pd.Series:
    return mart[(mart["account_id"] == account) & (mart["month"] == pd.Timestamp(month))].iloc[0]


def test_the_mart_has_one_row_per_paying_complete_month(mart):
    # A pays Jan-Jun (June is complete: its last day is as_of); B pays at the end of Jan and Feb only
    assert mart.groupby("account_id").size().to_dict() == {"A": 6, "B": 2}


def test_usage_indicators_are_measured_over_the_month(mart):
    # Feb: events on 1 Feb (x2) and 10 Feb -> 2 active days, users u1 and u2, 3 features,
    # 2 of the 3 key features (reports, automations)
    february = row(mart, "A", "2024-02-01")
    assert (february["active_days"], february["active_users"], february["feature_breadth"]) == (2, 2, 3)
    assert february["key_feature_adoption"] == pytest.approx(2 / 3)
    assert row(mart, "A", "2024-03-01")["active_days"] == 0


def test_usage_trend_compares_with_three_months_before_and_is_unknown_before_that(mart):
    # May (0 active days) against February (2): -2; March has no month three months before
    assert row(mart, "A", "2024-05-01")["active_days_change_3m"] == -2
    assert np.isnan(row(mart, "A", "2024-03-01")["active_days_change_3m"])


def test_health_score_is_the_latest_score_of_the_month(mart):
    # scores of 40 on 1 Feb and 55 on 20 Feb -> 55; March has no score (null), its previous month is 55
    assert row(mart, "A", "2024-02-01")["health_score"] == 55.0
    march = row(mart, "A", "2024-03-01")
    assert np.isnan(march["health_score"]) and march["health_score_previous_month"] == 55.0


def test_support_and_effort_windows(mart):
    february, march, may = (row(mart, "A", m) for m in ("2024-02-01", "2024-03-01", "2024-05-01"))
    # one ticket on 5 Feb, answered after 4 hours, rated 2; by 31 May it is more than 90 days old
    assert (february["tickets_90d"], february["median_first_response_hours"], february["mean_csat_90d"]) == (
        1,
        4.0,
        2.0,
    )
    assert may["tickets_90d"] == 0 and np.isnan(may["mean_csat_90d"])
    # a check-in and a QBR in February; March has neither but they are within its 90 days
    assert (february["check_ins"], february["qbrs"], february["cs_touches_90d"]) == (1, 1, 2)
    assert (march["check_ins"], march["qbrs"], march["cs_touches_90d"]) == (0, 0, 2)


def test_time_to_first_value_never_looks_past_the_month(mart):
    # first paid day 1 Jan, first value 11 Mar: in January it is not reached yet (30 days so far, a lower bound)
    january, march = row(mart, "A", "2024-01-01"), row(mart, "A", "2024-03-01")
    assert (january["days_to_first_value"], bool(january["has_first_value"])) == (30, False)
    assert (march["days_to_first_value"], bool(march["has_first_value"])) == (70, True)


def test_latest_nps_carries_over_for_a_year(mart):
    assert row(mart, "A", "2024-06-01")["latest_nps"] == 9


def test_outcomes_look_forward_and_unobservable_horizons_are_null_not_zero(mart):
    # B churns in March: seen from Jan (2 months ahead) and Feb (1 month ahead)
    january, february = row(mart, "B", "2024-01-01"), row(mart, "B", "2024-02-01")
    assert (january["churn_3m"], january["months_to_churn"]) == (1, 2)
    assert (february["churn_3m"], february["months_to_churn"]) == (1, 1)
    # Jan + 6 = July is after as_of: censored
    assert np.isnan(january["churn_6m"]) and not january["observable_6m"]
    # A in March: Mar + 3 = June is complete, no churn -> 0; in April, July is not -> null
    assert row(mart, "A", "2024-03-01")["churn_3m"] == 0
    assert np.isnan(row(mart, "A", "2024-04-01")["churn_3m"])


def test_the_mart_carries_the_account_name_but_never_a_contact(mart):
    assert row(mart, "A", "2024-01-01")["account_name"] == "Alpha Ltd"
    assert not [c for c in mart.columns if "mail" in c or "phone" in c]


# --- the weighted bootstrap (the known answers of concordance, deciles and lift: tests/test_stats.py) ---


def test_the_weighted_bootstrap_equals_duplicating_the_rows():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 8, 60).astype(float), rng.integers(0, 2, 60).astype(float)
    weights = rng.integers(0, 3, (4, 60)).astype(float)
    auc, lift = dense_weighted_auc_and_lift(x, y, weights, risky_high=False)
    for b in range(4):
        repeated = np.repeat(np.arange(60), weights[b].astype(int))
        assert auc[b] == pytest.approx(stats.concordance(x[repeated], y[repeated]))
        assert lift[b] == pytest.approx(stats.top_decile_lift(-x[repeated], y[repeated]), nan_ok=True)


def small_panel(seed: int = 5, accounts: int = 120, months: int = 8) -> pd.DataFrame:
    """An account-month panel where 'signal' drives churn_3m and 'noise' does not."""
    rng = np.random.default_rng(seed)
    account = np.repeat([f"A{i:03d}" for i in range(accounts)], months)
    month_index = np.tile(np.arange(months), accounts)
    signal = rng.normal(size=accounts * months)
    churn = (rng.random(accounts * months) < 1 / (1 + np.exp(2 + 1.5 * signal))).astype(float)
    frame = pd.DataFrame(
        {
            "account_id": account,
            "month_index": month_index,
            "signal": signal,
            "noise": rng.normal(size=accounts * months),
        }
    )
    for outcome in ind.OUTCOMES:
        for horizon in ind.HORIZONS:
            frame[f"{outcome}_{horizon}m"] = churn if (outcome, horizon) == ("churn", 3) else np.nan
    # the last two months are censored: their outcome is not observable yet
    frame.loc[frame["month_index"] >= months - 2, "churn_3m"] = np.nan
    return frame


SIGNAL = ind.Indicator("signal", "Signal", "leading", "healthier", "", "month", "test")
NOISE = ind.Indicator("noise", "Noise", "leading", "healthier", "", "month", "test")


def test_the_matrix_drops_censored_rows_and_orients_auc():
    frame = small_panel()
    before = frame.copy()
    matrix = ind.indicator_outcome_matrix(frame, (3,), ("churn",), indicators=(SIGNAL, NOISE), n_boot=100)
    pd.testing.assert_frame_equal(frame, before)  # the input is not mutated
    signal = matrix.set_index("indicator").loc["signal"]
    observable = frame.dropna(subset=["churn_3m"])
    assert signal["n_rows"] == len(observable) == 120 * 6
    assert signal["n_events"] == observable["churn_3m"].sum()
    # a higher signal means less churn: raw AUC below 0.5, oriented AUC above, as expected
    assert signal["auc"] == pytest.approx(1 - stats.concordance(observable["signal"], observable["churn_3m"]))
    assert signal["auc_raw"] < 0.5 < signal["auc"]
    assert signal["higher_means"] == "less" and signal["matches_expected"]
    assert matrix["indicator"].tolist() == ["signal", "noise"]  # strongest first


def test_bootstrap_intervals_contain_the_point_estimates():
    matrix = ind.indicator_outcome_matrix(small_panel(), (3,), ("churn",), indicators=(SIGNAL, NOISE), n_boot=200)
    for cell in matrix.itertuples():
        assert cell.auc_low <= cell.auc <= cell.auc_high
        assert cell.lift_low <= cell.lift <= cell.lift_high


def test_the_bootstrap_resamples_accounts_not_rows():
    # every month of an account carries the same value and outcome: with 40 accounts, row
    # resampling would pretend to have 40 x 8 independent rows and give a narrower interval
    rng = np.random.default_rng(8)
    per_account = pd.DataFrame({"account_id": [f"A{i}" for i in range(40)], "signal": rng.normal(size=40)})
    per_account["churn_3m"] = (rng.random(40) < 1 / (1 + np.exp(-per_account["signal"]))).astype(float)
    frame = per_account.loc[per_account.index.repeat(8)].reset_index(drop=True)
    for outcome in ind.OUTCOMES:
        for horizon in ind.HORIZONS:
            if (outcome, horizon) != ("churn", 3):
                frame[f"{outcome}_{horizon}m"] = np.nan
    matrix = ind.indicator_outcome_matrix(frame, (3,), ("churn",), indicators=(SIGNAL,), n_boot=300)
    cluster_width = float(matrix["auc_high"].iloc[0] - matrix["auc_low"].iloc[0])
    # the same bootstrap, rows as clusters
    frame_rows = frame.assign(account_id=[f"R{i}" for i in range(len(frame))])
    rows = ind.indicator_outcome_matrix(frame_rows, (3,), ("churn",), indicators=(SIGNAL,), n_boot=300)
    assert cluster_width > 2 * float(rows["auc_high"].iloc[0] - rows["auc_low"].iloc[0])


# --- the bootstrap from per-account counts equals the row-by-row computation, to the last bit ---


def dense_weighted_auc_and_lift(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, risky_high: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap as it was computed before the per-account counts: a dense (replicates x rows) pass."""
    order = np.argsort(x, kind="mergesort")
    xs, ys = x[order], y[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    w = weights[:, order]
    g1 = np.add.reduceat(w * ys, starts, axis=1)
    gw = np.add.reduceat(w, starts, axis=1)
    g0 = gw - g1
    n1, n0 = g1.sum(axis=1), g0.sum(axis=1)
    below0 = np.cumsum(g0, axis=1) - g0
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (g1 * (below0 + 0.5 * g0)).sum(axis=1) / (n1 * n0)
        if not risky_high:
            g1, gw = g1[:, ::-1], gw[:, ::-1]
        total = gw.sum(axis=1, keepdims=True)
        average_rank = np.cumsum(gw, axis=1) - gw + (gw + 1) / 2
        top = (np.ceil(10 * average_rank / total - 1e-9) >= 10) & (gw > 0)
        top_rate = (g1 * top).sum(axis=1) / (gw * top).sum(axis=1)
        lift = top_rate / (n1 / total[:, 0])
    return auc, lift


def row_by_row_matrix(frame, horizons, outcomes, indicators, n_boot, seed, confidence=0.95) -> pd.DataFrame:
    """:func:`ind.indicator_outcome_matrix` as it was: point statistics by ranking, a dense bootstrap per cell."""
    codes_all, counts = stats.bootstrap_counts(frame["account_id"].to_numpy(), n_boot, seed)
    records = []
    for outcome in outcomes:
        for horizon in horizons:
            column = ind.outcome_column(outcome, horizon)
            for item in indicators:
                mask = frame[item.id].notna().to_numpy() & frame[column].notna().to_numpy()
                x = frame[item.id].to_numpy(dtype=float)[mask]
                y = frame[column].to_numpy(dtype=float)[mask]
                n_events = int(y.sum())
                if n_events == 0 or n_events == len(y):
                    continue
                auc_raw = stats.concordance(x, y)
                risky_high = auc_raw >= 0.5
                lift = stats.top_decile_lift(x if risky_high else -x, y)
                top = stats.risk_deciles(x if risky_high else -x) == 10
                auc_low = auc_high = lift_low = lift_high = float("nan")
                if n_boot:
                    weights = counts[:, codes_all[mask]]
                    boot_auc, boot_lift = [], []
                    for start in range(0, n_boot, 50):
                        a, b = dense_weighted_auc_and_lift(x, y, weights[start : start + 50], risky_high)
                        boot_auc.append(a)
                        boot_lift.append(b)
                    oriented = np.concatenate(boot_auc)
                    oriented = oriented if risky_high else 1 - oriented
                    auc_low, auc_high = stats.percentile_interval(oriented, confidence)
                    lift_low, lift_high = stats.percentile_interval(np.concatenate(boot_lift), confidence)
                expected_more = (item.higher_is == "riskier") == _registry._ADVERSE[outcome]
                records.append(
                    {
                        "indicator": item.id,
                        "label": item.label,
                        "kind": item.kind,
                        "outcome": outcome,
                        "horizon": horizon,
                        "auc": max(auc_raw, 1 - auc_raw),
                        "auc_low": auc_low,
                        "auc_high": auc_high,
                        "auc_raw": auc_raw,
                        "higher_means": "more" if risky_high else "less",
                        "expected_higher_means": "more" if expected_more else "less",
                        "matches_expected": bool(risky_high == expected_more),
                        "lift": lift,
                        "lift_low": lift_low,
                        "lift_high": lift_high,
                        "top_decile_rate": float(y[top].mean()) if top.any() else float("nan"),
                        "event_rate": float(y.mean()),
                        "n_rows": int(len(y)),
                        "n_accounts": int(pd.unique(codes_all[mask]).size),
                        "n_events": n_events,
                    }
                )
    matrix = pd.DataFrame(records, columns=_matrix._MATRIX_COLUMNS)
    return matrix.sort_values(["auc", "indicator"], ascending=[False, True], ignore_index=True)


def tied_panel(seed: int = 17, accounts: int = 150) -> pd.DataFrame:
    """Accounts with 2 to 11 months, rows shuffled; indicators heavily tied, partly unknown; outcomes censored
    differently (so cells do not all share their rows)."""
    rng = np.random.default_rng(seed)
    months = rng.integers(2, 12, accounts)
    account = np.repeat([f"A{i:03d}" for i in range(accounts)], months)
    month_index = np.concatenate([np.arange(m) for m in months])
    n = len(account)
    risk = rng.normal(size=accounts)[np.searchsorted(np.cumsum(months), np.arange(n), side="right")]
    frame = pd.DataFrame(
        {
            "account_id": account,
            "month_index": month_index,
            "signal": np.round(risk + rng.normal(scale=0.5, size=n), 1),  # ~60 distinct values
            "noise": rng.integers(0, 5, n).astype(float),
            "mostly_zero": np.where(rng.random(n) < 0.93, 0.0, rng.integers(1, 4, n)),  # empty top decile
        }
    )
    frame.loc[rng.random(n) < 0.1, "signal"] = np.nan
    churn = (rng.random(n) < 1 / (1 + np.exp(2.5 - risk))).astype(float)
    for outcome in ind.OUTCOMES:
        for horizon in ind.HORIZONS:
            frame[f"{outcome}_{horizon}m"] = np.where(month_index + horizon <= 13, churn, np.nan)
    frame["contraction_6m"] = np.where(rng.random(n) < 0.2, np.nan, (rng.random(n) < 0.15).astype(float))
    frame["expansion_12m"] = 0.0  # no event: the cell is dropped
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


TIED = (
    ind.Indicator("signal", "Signal", "leading", "riskier", "", "month", "test"),
    ind.Indicator("noise", "Noise", "leading", "healthier", "", "month", "test"),
    ind.Indicator("mostly_zero", "Mostly zero", "effort", "healthier", "", "month", "test"),
)


def test_the_matrix_equals_the_row_by_row_bootstrap_to_the_last_bit():
    frame = tied_panel()
    args = (frame, ind.HORIZONS, ind.OUTCOMES)
    matrix = ind.indicator_outcome_matrix(*args, indicators=TIED, n_boot=120, seed=4)
    expected = row_by_row_matrix(*args, TIED, n_boot=120, seed=4)
    assert len(matrix) == 3 * 9 - 3  # expansion within 12 months has no event
    assert set(matrix["higher_means"]) == {"more", "less"}  # both directions are exercised
    assert matrix["lift"].isna().any() and matrix["lift"].notna().any()  # an empty top decile, and others
    pd.testing.assert_frame_equal(matrix, expected, check_exact=True)
    no_boot = ind.indicator_outcome_matrix(*args, indicators=TIED, n_boot=0)
    pd.testing.assert_frame_equal(no_boot, row_by_row_matrix(*args, TIED, n_boot=0, seed=4), check_exact=True)


def test_counts_per_value_and_account_give_the_dense_weighted_sums_exactly():
    rng = np.random.default_rng(23)
    n, accounts = 400, 60
    codes = rng.integers(0, accounts, n)
    y = (rng.random(n) < 0.3).astype(float)
    counts = rng.multinomial(accounts, np.full(accounts, 1 / accounts), size=7).astype(float)
    for x in (rng.integers(0, 6, n).astype(float), np.where(rng.random(n) < 0.9, 0.0, 1.0), rng.normal(size=n)):
        rows = _matrix._sorted_rows(x, np.ones(n, dtype=bool), codes)
        assert np.all(np.diff(x[rows]) >= 0)
        groups = _matrix._value_groups(x[rows], codes[rows])
        weighted_rows = (groups.by_account(np.ones(n), accounts) @ counts.T).T
        weighted_events = (groups.by_account(y[rows], accounts) @ counts.T).T
        dense = counts[:, codes[rows]]
        np.testing.assert_array_equal(weighted_rows, np.add.reduceat(dense, groups.starts, axis=1))
        np.testing.assert_array_equal(weighted_events, np.add.reduceat(dense * y[rows], groups.starts, axis=1))
        for risky_high in (True, False):
            auc, lift = dense_weighted_auc_and_lift(x, y, counts[:, codes], risky_high)
            np.testing.assert_array_equal(stats.group_auc(weighted_events, weighted_rows), auc)
            np.testing.assert_array_equal(stats.group_top_decile(weighted_events, weighted_rows, risky_high)[1], lift)


def test_unit_weights_give_the_point_statistics_exactly():
    rng = np.random.default_rng(29)
    y = (rng.random(500) < 0.2).astype(float)
    for x in (rng.integers(0, 9, 500).astype(float), np.where(rng.random(500) < 0.95, 0.0, 2.0)):
        groups = _matrix._value_groups(np.sort(x, kind="mergesort"), np.zeros(500, dtype=int))
        events = groups.sums(y[np.argsort(x, kind="mergesort")])[np.newaxis]
        rows = groups.sums(np.ones(500))[np.newaxis]
        assert stats.group_auc(events, rows)[0] == stats.concordance(x, y)
        for risky_high, risk in ((True, x), (False, -x)):
            rate, lift = stats.group_top_decile(events, rows, risky_high)
            top = stats.risk_deciles(risk) == 10
            np.testing.assert_array_equal(rate, [y[top].mean() if top.any() else np.nan])
            np.testing.assert_array_equal(lift, [stats.top_decile_lift(risk, y)])


def test_cells_observable_on_the_same_rows_share_one_class():
    frame = tied_panel()
    cells = [(o, h) for o in ind.OUTCOMES for h in ind.HORIZONS]
    classes = [same for _, same in _matrix._observability_classes(frame, cells)]
    # every row is observable within 3 months, and for the (event-free) expansion within 12
    assert [("churn", 3), ("contraction", 3), ("expansion", 3), ("expansion", 12)] in classes
    assert [("contraction", 6)] in classes  # its own censoring
    assert sorted(c for same in classes for c in same) == sorted(cells)
    for observable, same in _matrix._observability_classes(frame, cells):
        for cell in same:
            np.testing.assert_array_equal(frame[ind.outcome_column(*cell)].notna().to_numpy(), observable)


# --- lead time ---


def aligned_panel() -> pd.DataFrame:
    """Churners drop from 10 to 4 active days in the 2 months before churn; stayers stay at 10."""
    records = []
    for a in range(30):  # churners: months_to_churn 1..6, tenure = 6 - k + (a % 2)
        for k in range(1, 7):
            value = 4.0 if k <= 2 else 10.0
            records.append(
                {
                    "account_id": f"C{a}",
                    "segment": "SMB",
                    "tenure_months": 6 - k,
                    "months_to_churn": k,
                    "churn_12m": 1.0,
                    "active_days": value + (a % 3 - 1) * 0.5,
                }
            )
    for a in range(60):
        for t in range(6):
            records.append(
                {
                    "account_id": f"S{a}",
                    "segment": "SMB",
                    "tenure_months": t,
                    "months_to_churn": np.nan,
                    "churn_12m": 0.0,
                    "active_days": 10.0 + (a % 3 - 1) * 0.5,
                }
            )
    return pd.DataFrame(records)


def test_event_aligned_curves_compare_churners_with_stayers_of_the_same_tenure():
    curves = ind.event_aligned_curves(aligned_panel(), "active_days", months_before=6)
    means = curves.set_index(["months_before", "group"])["mean"]
    assert means[(1, ind.CHURNED)] == pytest.approx(4.0)
    assert means[(3, ind.CHURNED)] == pytest.approx(10.0)
    assert means[(1, ind.STAYED)] == pytest.approx(10.0)
    assert set(curves["n"][curves["group"] == ind.CHURNED]) == {30}


def test_lead_time_counts_the_months_of_separation_before_churn():
    curves = ind.event_aligned_curves(aligned_panel(), "active_days", months_before=6)
    # churners sit apart in months 1 and 2 before churn, and with the stayers from month 3 on
    assert ind.lead_time_months(curves) == 2
    assert ind.moves_from_months(curves) == 2


# --- calibration ---


def test_health_bands_use_fixed_edges_and_wilson_intervals():
    frame = pd.DataFrame({"health_score": [10.0, 19.9, 20.0, 55.0, 80.0, 100.0], "churn_3m": [1, 1, 0, 1, 0, 0.0]})
    bands = ind.health_score_bands(frame, horizon=3)
    assert bands["band"].tolist() == ["0-20", "20-40", "40-60", "80-100"]
    assert bands["n_rows"].tolist() == [2, 1, 1, 2]  # 20 opens 20-40; 100 belongs to 80-100
    low, high = proportion_confint(2, 2, method="wilson")
    assert (bands.iloc[0]["low"], bands.iloc[0]["high"]) == pytest.approx((low, high))


def test_monotonicity_counts_inversions_and_separation():
    bands = pd.DataFrame(
        {
            "band_order": [1, 2, 3, 4],
            "rate": [0.4, 0.2, 0.25, 0.05],
            "low": [0.35, 0.15, 0.18, 0.03],
            "high": [0.45, 0.26, 0.3, 0.07],
        }
    )
    result = ind.band_monotonicity(bands)
    # 0.2 -> 0.25 rises: one inversion; 1-2 and 3-4 intervals do not overlap, 2-3 do
    assert (result.inversions, result.separated_pairs, result.pairs) == (1, 2, 3)
    assert result.ratio_lowest_to_highest == pytest.approx(8.0)


# --- effort vs outcome ---


def test_mantel_haenszel_risk_ratio_removes_a_confounder():
    # two bands; within each, activity does not change churn (RR 1), but CSMs visit the risky
    # band: low band 80 visited (24 churn) / 20 not (6), high band 20 visited (1) / 80 not (4)
    records = []
    for band_score, n_with, e_with, n_without, e_without in ((15.0, 80, 24, 20, 6), (85.0, 20, 1, 80, 4)):
        records += [{"health_score": band_score, "check_ins": 1, "churn_3m": float(i < e_with)} for i in range(n_with)]
        records += [
            {"health_score": band_score, "check_ins": 0, "churn_3m": float(i < e_without)} for i in range(n_without)
        ]
    frame = pd.DataFrame(records).assign(segment="SMB")
    result = ind.effort_confounding(frame, "check_ins", "churn", 3)
    # raw: 25/100 with vs 10/100 without = 2.5; adjusted: exactly 1
    assert result.raw_risk_ratio == pytest.approx(2.5)
    assert result.adjusted_risk_ratio == pytest.approx(1.0)
    assert result.shrinks
    assert (result.activity_share_low_health, result.activity_share_high_health) == pytest.approx((0.8, 0.2))
    assert "who gets visited" in ind.effort_sentence(result)


def test_unknown_indicators_and_horizons_are_refused_in_plain_words():
    with pytest.raises(AnalysisError, match="unknown indicator"):
        ind.indicator("logins")
    with pytest.raises(AnalysisError, match="horizon"):
        ind.outcome_column("churn", 9)


# --- the planted truth of the demo data ---


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    from cskpi_analysis.demo import write_demo

    folder = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(folder, 3000, seed=11, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def demo(demo_folder) -> pd.DataFrame:
    from cskpi_analysis.warehouse import connect

    con, _config = connect(demo_folder)
    return ind.indicator_frame(con)


@pytest.fixture(scope="module")
def demo_matrix(demo) -> pd.DataFrame:
    return ind.indicator_outcome_matrix(demo, (6,), ("churn",), n_boot=50)


@pytest.fixture(scope="module")
def demo_warehouse(demo_folder, tmp_path_factory):
    from cskpi_analysis.warehouse import open_warehouse

    database = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    open_warehouse(demo_folder, database=database).close()
    return demo_folder, database


def test_the_matrix_of_a_warehouse_is_computed_once_and_read_back_unchanged(demo_warehouse, monkeypatch):
    from cskpi_analysis.warehouse import open_warehouse

    folder, database = demo_warehouse
    with open_warehouse(folder, database=database) as wh:
        matrix = ind.outcome_matrix(wh, n_boot=20, seed=3)
        frame = ind.indicator_frame(wh)
        expected = ind.indicator_outcome_matrix(frame, indicators=ind.available_indicators(frame)[0], n_boot=20, seed=3)
    pd.testing.assert_frame_equal(matrix, expected, check_exact=True)
    monkeypatch.setattr(_matrix, "indicator_outcome_matrix", lambda *a, **k: pytest.fail("computed again"))
    with open_warehouse(folder, database=database) as wh:
        kept = ind.outcome_matrix(wh, n_boot=20, seed=3)  # read from the file beside the warehouse
    pd.testing.assert_frame_equal(kept, expected, check_exact=True)  # values and types (bool, int) unchanged
    assert kept["matches_expected"].dtype == bool and kept["n_rows"].dtype == np.int64


def test_lead_time_curves_are_kept_and_give_each_indicator_its_curves(demo_warehouse, monkeypatch):
    from cskpi_analysis.warehouse import open_warehouse

    folder, database = demo_warehouse
    with open_warehouse(folder, database=database) as wh:
        frame = ind.indicator_frame(wh)
        kept = ind.available_indicators(frame)[0]
        ind.lead_time_curves(wh)
    expected = {item.id: ind.event_aligned_curves(frame, item.id) for item in kept}
    table = ind.lead_time_table(frame, kept)
    monkeypatch.setattr(_lead_time, "event_aligned_curves", lambda *a, **k: pytest.fail("computed again"))
    with open_warehouse(folder, database=database) as wh:
        curves = ind.lead_time_curves(wh)  # read from the file beside the warehouse
    assert curves["indicator"].unique().tolist() == [item.id for item in kept]
    for item in kept:
        pd.testing.assert_frame_equal(ind.indicator_curves(curves, item.id), expected[item.id], check_exact=True)
    pd.testing.assert_frame_equal(ind.lead_times_from_curves(curves, kept), table, check_exact=True)


def test_calibration_and_effort_of_a_warehouse_are_kept_and_read_back_unchanged(demo_warehouse, monkeypatch):
    from cskpi_analysis.warehouse import open_warehouse

    folder, database = demo_warehouse
    with open_warehouse(folder, database=database) as wh:
        frame = ind.indicator_frame(wh)
        first = ind.health_score_calibration(wh, horizon=3), ind.effort_comparison(wh, "check_ins", "churn", 3)
    expected = (
        ind.health_score_bands(frame, horizon=3),
        ind.reliability_curve(frame, horizon=3),
        ind.refit_comparison(frame, horizon=3),
    )
    monkeypatch.setattr(_frame, "indicator_frame", lambda *a, **k: pytest.fail("the mart was read again"))
    with open_warehouse(folder, database=database) as wh:
        kept = ind.health_score_calibration(wh, horizon=3), ind.effort_comparison(wh, "check_ins", "churn", 3)
    for calibration in (first[0], kept[0]):
        for got, want in zip(calibration, expected, strict=True):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
    for table, summary in (first[1], kept[1]):
        pd.testing.assert_frame_equal(
            table, ind.effort_by_health_band(frame, "check_ins", "churn", 3), check_exact=True
        )
        assert summary == ind.effort_confounding(frame, "check_ins", "churn", 3)


def test_availability_and_coverage_of_a_warehouse_are_kept_and_read_back_unchanged(demo_warehouse, monkeypatch):
    from cskpi_analysis.warehouse import open_warehouse

    folder, database = demo_warehouse
    with open_warehouse(folder, database=database) as wh:
        frame = ind.indicator_frame(wh)
        first = ind.availability(wh)
        first_coverage = ind.coverage_tables(wh, first[2])
    expected = (*ind.available_indicators(frame), ind.sections_left_out(frame))
    expected_coverage = [ind.portfolio_coverage(frame, by=by) for by in ("segment", "health_band")]
    monkeypatch.setattr(_frame, "indicator_frame", lambda *a, **k: pytest.fail("the mart was read again"))
    with open_warehouse(folder, database=database) as wh:  # opening the report: no pass over the mart
        kept = ind.availability(wh)
        kept_coverage = ind.coverage_tables(wh, kept[2])
    assert first == expected and kept == expected
    for coverage in (first_coverage, kept_coverage):
        for got, want in zip(coverage, expected_coverage, strict=True):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert ind.coverage_sentence(got) == ind.coverage_sentence(want)  # the month survives the keeping


def test_indicators_without_curves_add_no_row_and_unknown_ones_are_refused():
    empty = _lead_time._stack_curves(
        [ind.event_aligned_curves(aligned_panel().assign(active_days=np.nan), "active_days")]
    )
    assert empty.empty and empty.dtypes.to_dict() == _lead_time._CURVE_DTYPES
    assert ind.indicator_curves(empty, "active_days").empty
    assert ind.lead_times_from_curves(empty, [ind.indicator("active_days")])["lead_time_months"].tolist() == [0]
    with pytest.raises(AnalysisError, match="unknown indicator"):
        ind.indicator_curves(empty, "logins")


def test_planted_signals_outrank_the_noise_indicators(demo_matrix):
    # planted: usage declines before churn, no key-feature use raises the hazard (HR 2.0), the
    # score is partly informative; tickets and CSAT are pure noise (docs/demo_data.md)
    auc = demo_matrix.set_index("indicator")["auc"]
    informative = auc[["active_days", "key_feature_adoption", "health_score"]]
    noise = auc[["mean_csat_90d", "tickets_90d"]]
    assert informative.min() > noise.max() + 0.05
    assert (demo_matrix.set_index("indicator").loc[informative.index, "matches_expected"]).all()
    # observed on seed 11: score 0.650, active days 0.645, adoption 0.625; CSAT 0.507, tickets 0.559


def test_the_matrix_sentence_names_the_strongest_signal(demo_matrix):
    sentence = ind.matrix_sentence(demo_matrix, "churn", 6)
    best = demo_matrix[demo_matrix["kind"] == "leading"].iloc[0]["label"]
    assert sentence.startswith(f"{best} is the strongest signal") and "AUC" in sentence


def test_the_vendor_score_calibration_is_recovered(demo):
    # score = 100 sigmoid(1 - 0.5 z - 2 decline + noise): observed churn must fall with the score
    bands = ind.health_score_bands(demo, horizon=3, bands="deciles")
    summary = ind.band_monotonicity(bands)
    assert summary.inversions <= 1
    assert summary.spearman < -0.9
    assert summary.ratio_lowest_to_highest > 3


def test_the_refit_backtest_scores_held_out_months(demo):
    comparison = ind.refit_comparison(demo, horizon=3)
    assert comparison["model"].tolist() == ["Vendor health score (recalibrated)", "Refit on our own indicators"]
    assert (comparison["auc"] > 0.6).all()
    assert (comparison["brier"] < 0.2).all()
    reliability = ind.reliability_curve(demo, horizon=3)
    # recalibrated on earlier months, predicted and observed risk agree within 5 points per decile
    assert (reliability["predicted"] - reliability["observed"]).abs().max() < 0.05
    # observed on seed 11: AUC 0.717 (score) and 0.741 (refit); largest decile gap 0.016


def test_check_ins_go_with_churn_raw_but_much_less_within_health_bands(demo):
    # planted: CSMs contact accounts scoring under 50 2.5x as often; activity has no effect
    result = ind.effort_confounding(demo, "check_ins", "churn", 3)
    assert result.raw_risk_ratio > 1.05
    assert result.shrinks and result.adjusted_risk_ratio < result.raw_risk_ratio - 0.1
    assert result.activity_share_low_health > 1.5 * result.activity_share_high_health
    # observed on seed 11: raw 1.13, adjusted 0.91, shares 43% vs 22% (seed 7 with 2,000 accounts:
    # raw 1.36, adjusted 1.16)


def test_usage_moves_in_the_months_before_churn(demo):
    # planted: usage declines linearly over the 90 days before churn
    curves = ind.event_aligned_curves(demo, "active_days")
    assert 1 <= ind.moves_from_months(curves) <= 4
    assert ind.lead_time_months(curves) >= 1


def test_the_worklist_never_shows_a_contact_and_ranks_by_mrr_at_risk(demo):
    worklist = ind.at_risk_worklist(demo, top=20)
    assert len(worklist) == 20
    assert not [c for c in worklist.columns if "mail" in c or "phone" in c]
    assert not worklist.astype(str).apply(lambda col: col.str.contains("@")).any().any()
    assert worklist["mrr_at_risk"].is_monotonic_decreasing
    assert worklist["cause"].str.len().gt(0).all()


def test_coverage_is_a_share_with_a_wilson_interval(demo):
    coverage = ind.portfolio_coverage(demo)
    overall = coverage.iloc[0]
    assert overall["group"] == "All" and overall["low"] <= overall["coverage"] <= overall["high"]
    assert coverage.iloc[1:]["accounts"].sum() == overall["accounts"]


def test_the_command_prints_the_matrix_as_json(demo_folder, capsys):
    import json

    from cskpi_analysis.cli import main

    assert (
        main(
            [
                "indicators",
                str(demo_folder),
                "--horizon",
                "3",
                "--outcome",
                "churn",
                "--bootstrap",
                "0",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["left_out"] == []  # a full demo folder supports every indicator
    records = payload["matrix"]
    assert {r["indicator"] for r in records} == {item.id for item in ind.INDICATORS}
    assert [r["auc"] for r in records] == sorted((r["auc"] for r in records), reverse=True)


def test_time_to_first_value_counts_from_the_first_paid_day_like_the_rest_of_the_suite(tmp_path):
    from tests.helpers import write_folder

    # signed 1 Jan, first paid day 11 Jan, first value 21 Jan: 10 days (from paying), not 20 (from signing)
    folder = write_folder(tmp_path, [("A", "2024-01-11", None, 100, 1)])
    (folder / "accounts.csv").write_text("account_id,signup_date,segment\nA,2024-01-01,SMB\n")
    pd.DataFrame({"account_id": ["A"], "milestone": ["first_value"], "achieved_at": ["2024-01-21 10:00:00"]}).to_csv(
        folder / "milestones.csv", index=False
    )
    con = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 2, 29)))
    january = con.execute(
        "select days_to_first_value, has_first_value from mart_indicator_outcomes where month = date '2024-01-01'"
    ).fetchone()
    assert january == (10, True)


def test_a_new_account_without_first_value_is_called_new_not_late():
    from types import SimpleNamespace

    from cskpi_analysis.quality import Sources

    everything = Sources.everything()
    young = SimpleNamespace(has_first_value=False, days_to_first_value=0.0, key_feature_adoption=1.0)
    late = SimpleNamespace(has_first_value=False, days_to_first_value=75.0, key_feature_adoption=1.0)
    assert (
        _worklist._standing_cause(young, everything)
        == "new account (0 days since its first paid day): first value not reached yet"
    )
    assert _worklist._standing_cause(late, everything) == "no first value yet after 75 days"


def test_each_segments_worklist_is_kept_and_read_back_without_a_query(demo_warehouse, monkeypatch):
    from cskpi_analysis.warehouse import open_warehouse

    folder, database = demo_warehouse
    with open_warehouse(folder, database=database) as wh:
        first = {segment: ind.worklist(wh, segment, top=10) for segment in ("All", "SMB")}
        scores = ind.portfolio_risk(wh)
        direct = {
            "All": _worklist._worklist_of(wh, scores, 10, 3),
            "SMB": _worklist._worklist_of(wh, scores[scores["segment"] == "SMB"], 10, 3),
        }
    with open_warehouse(folder, database=database) as wh:
        monkeypatch.setattr(wh, "execute", lambda *a, **k: pytest.fail("queried the warehouse again"))
        for segment, expected in direct.items():
            pd.testing.assert_frame_equal(first[segment], expected, check_exact=True)
            pd.testing.assert_frame_equal(ind.worklist(wh, segment, top=10), expected, check_exact=True)
