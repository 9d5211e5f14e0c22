"""Indicator x outcome matrix: discrimination (AUC) and top-decile lift, with cluster-bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cskpi_analysis.indicators._frame import available_indicators, shared_frame
from cskpi_analysis.indicators._registry import _ADVERSE, HORIZONS, OUTCOMES, SEED, Indicator, indicator, outcome_column
from cskpi_analysis.stats import bootstrap_counts, group_auc, group_top_decile, percentile_interval, replicate_blocks
from cskpi_analysis.warehouse import Warehouse

if TYPE_CHECKING:
    from scipy import sparse


@dataclass(frozen=True)
class _ValueGroups:
    """Rows sorted by value then account, cut into distinct values and (value, account) pairs.

    Attributes
    ----------
    starts : first row of each distinct value (lowest value first).
    pair_starts : first row of each (value, account) pair.
    pair_group : the distinct value (index into ``starts``) of each pair.
    pair_account : the account code of each pair.
    n_rows : rows in all.
    """

    starts: np.ndarray
    pair_starts: np.ndarray
    pair_group: np.ndarray
    pair_account: np.ndarray
    n_rows: int

    @property
    def n_groups(self) -> int:
        return len(self.starts)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per row, in the sorted order) over each distinct value."""
        return np.add.reduceat(values, self.starts) if self.n_rows else np.zeros(0)

    def by_account(self, values: np.ndarray, n_accounts: int) -> sparse.csr_array:
        """(distinct values x accounts) sums of ``values`` over each pair's rows, zeros left out."""
        sums = np.add.reduceat(values, self.pair_starts) if self.n_rows else np.zeros(0)
        nonzero = sums != 0
        group = self.pair_group[nonzero]
        indptr = np.r_[0, np.cumsum(np.bincount(group, minlength=self.n_groups))]
        from scipy import sparse

        return sparse.csr_array((sums[nonzero], self.pair_account[nonzero], indptr), (self.n_groups, n_accounts))


def _sorted_rows(values: np.ndarray, known: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Positions of the ``known`` rows, ordered by value, then by account code."""
    rows = np.flatnonzero(known)
    return rows[np.lexsort((codes[rows], values[rows]))]


def _value_groups(values: np.ndarray, codes: np.ndarray) -> _ValueGroups:
    """:class:`_ValueGroups` of rows already sorted by value, then account code (:func:`_sorted_rows`)."""
    new_value = np.r_[True, values[1:] != values[:-1]] if len(values) else np.zeros(0, dtype=bool)
    new_pair = new_value | np.r_[True, codes[1:] != codes[:-1]] if len(values) else new_value
    pair_starts = np.flatnonzero(new_pair)
    return _ValueGroups(
        starts=np.flatnonzero(new_value),
        pair_starts=pair_starts,
        pair_group=np.cumsum(new_value)[pair_starts] - 1,
        pair_account=codes[pair_starts],
        n_rows=len(values),
    )


def _observability_classes(
    frame: pd.DataFrame, cells: Sequence[tuple[str, int]]
) -> list[tuple[np.ndarray, list[tuple[str, int]]]]:
    """The (outcome, horizon) cells grouped by the rows where the outcome is observable, in order.

    Returns
    -------
    list of (observable, cells)
        The rows' mask, and the cells observable on exactly those rows (e.g. every outcome of
        one horizon: their censoring is the same).
    """
    classes: dict[bytes, tuple[np.ndarray, list[tuple[str, int]]]] = {}
    for outcome, horizon in cells:
        observable = frame[outcome_column(outcome, horizon)].notna().to_numpy()
        classes.setdefault(np.packbits(observable).tobytes(), (observable, []))[1].append((outcome, horizon))
    return list(classes.values())


def indicator_outcome_matrix(
    frame: pd.DataFrame,
    horizons: Sequence[int] = HORIZONS,
    outcomes: Sequence[str] = OUTCOMES,
    *,
    indicators: Sequence[Indicator] | None = None,
    n_boot: int = 200,
    seed: int = SEED,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How well each indicator anticipates each outcome at each horizon, strongest first.

    For each indicator x outcome x horizon, over the rows whose horizon is observable and
    whose indicator is known:

    * ``auc_raw`` (:func:`~cskpi_analysis.stats.concordance`): above 0.5, higher values go with the outcome;
      ``auc`` = ``max(auc_raw, 1 - auc_raw)`` (0.5 = none), with ``auc_low``/``auc_high``.
    * ``higher_means``: ``"more"`` or ``"less"`` outcome as the value rises (observed);
      ``expected_higher_means`` from the registry (a healthier indicator is expected to
      mean less churn and contraction, more expansion); ``matches_expected``.
    * ``lift`` (:func:`~cskpi_analysis.stats.top_decile_lift`) in the decile the observed direction calls riskiest
      (for expansion: most likely to expand), ``lift_low``/``lift_high``, ``top_decile_rate``.
    * ``n_rows``, ``n_accounts``, ``n_events``, ``event_rate``.

    Confidence intervals come from a cluster bootstrap: ``n_boot`` resamples of accounts
    (one draw shared by every cell), so the months of one account move together.

    The rows of a cell are first collapsed to (distinct value, account) pairs: every row of
    an account has the account's bootstrap weight, so the weighted counts of each distinct
    value, for every replicate at once, are a sparse (values x accounts) matrix times the
    (accounts x replicates) draw multiplicities. The counts are exact integers, so the
    statistics are those of the row-by-row computation (a dense replicates x rows pass, kept in
    ``tests/test_indicators.py`` as the reference; :func:`~cskpi_analysis.stats.concordance`,
    :func:`~cskpi_analysis.stats.top_decile_lift`) to the last bit.

    Parameters
    ----------
    frame : :func:`indicator_frame`.
    horizons, outcomes : subsets of :data:`HORIZONS` and :data:`OUTCOMES`.
    indicators : registry entries to evaluate (default: those the data support,
        :func:`available_indicators`).
    n_boot : bootstrap resamples (0 = no intervals).
    seed : seed of the bootstrap.
    confidence : level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per cell with fewer than two classes dropped; sorted by ``auc`` descending.
    """
    if indicators is None:
        indicators = available_indicators(frame)[0]
    cells = [(outcome, horizon) for outcome in outcomes for horizon in horizons]
    for outcome, horizon in cells:
        outcome_column(outcome, horizon)  # unknown outcomes and horizons are refused first
    codes_all, counts = bootstrap_counts(frame["account_id"].to_numpy(), n_boot, seed)
    n_accounts_all = counts.shape[1]
    blocks = replicate_blocks(counts)  # the draws, transposed: (accounts x replicates) blocks
    del counts
    classes = _observability_classes(frame, cells)
    records: dict[tuple[str, int, str], dict[str, object]] = {}
    for item in indicators:
        values_all = frame[item.id].to_numpy(dtype=float)
        order = _sorted_rows(values_all, frame[item.id].notna().to_numpy(), codes_all)
        for observable, same_rows in classes:
            rows = order[observable[order]]  # the class's rows, by value then account
            codes = codes_all[rows]
            groups = _value_groups(values_all[rows], codes)
            n_accounts = int(np.count_nonzero(np.bincount(codes, minlength=n_accounts_all)))
            counts_by_value = groups.sums(np.ones(len(rows)))[np.newaxis]
            assessed = []  # (y, risky_high, record) of the cells with both classes
            for outcome, horizon in same_rows:
                y = frame[outcome_column(outcome, horizon)].to_numpy(dtype=float)[rows]
                n_events = int(y.sum())
                if n_events == 0 or n_events == len(y):
                    continue
                events_by_value = groups.sums(y)[np.newaxis]
                auc_raw = float(group_auc(events_by_value, counts_by_value)[0])
                risky_high = auc_raw >= 0.5
                top_rate, lift = group_top_decile(events_by_value, counts_by_value, risky_high)
                expected_more = (item.higher_is == "riskier") == _ADVERSE[outcome]
                record = {
                    "indicator": item.id,
                    "label": item.label,
                    "kind": item.kind,
                    "outcome": outcome,
                    "horizon": horizon,
                    "auc": max(auc_raw, 1 - auc_raw),
                    "auc_low": float("nan"),
                    "auc_high": float("nan"),
                    "auc_raw": auc_raw,
                    "higher_means": "more" if risky_high else "less",
                    "expected_higher_means": "more" if expected_more else "less",
                    "matches_expected": bool(risky_high == expected_more),
                    "lift": float(lift[0]),
                    "lift_low": float("nan"),
                    "lift_high": float("nan"),
                    "top_decile_rate": float(top_rate[0]),
                    "event_rate": float(y.mean()),
                    "n_rows": int(len(y)),
                    "n_accounts": n_accounts,
                    "n_events": n_events,
                }
                records[(outcome, horizon, item.id)] = record
                assessed.append((y, risky_high, record))
            if n_boot and assessed:
                _bootstrap_cells(groups, assessed, blocks, n_accounts_all, confidence)
    ordered = [records[key] for o, h in cells for i in indicators if (key := (o, h, i.id)) in records]
    matrix = pd.DataFrame(ordered, columns=_MATRIX_COLUMNS)
    if matrix.empty:
        return matrix
    return matrix.sort_values(["auc", "indicator"], ascending=[False, True], ignore_index=True)


def _bootstrap_cells(
    groups: _ValueGroups,
    assessed: Sequence[tuple[np.ndarray, bool, dict[str, object]]],
    blocks: Sequence[np.ndarray],
    n_accounts: int,
    confidence: float,
) -> None:
    """Fill the bootstrap intervals of the cells sharing ``groups``' rows (their records, in place).

    Each block of replicates weighs the rows once (values x replicates) for every cell, and
    the events of each cell; the cells differ only by their outcome ``y`` and direction.
    """
    rows_by_account = groups.by_account(np.ones(groups.n_rows), n_accounts)
    events_by_account = [groups.by_account(y, n_accounts) for y, _, _ in assessed]
    boot_auc: list[list[np.ndarray]] = [[] for _ in assessed]
    boot_lift: list[list[np.ndarray]] = [[] for _ in assessed]
    for block in blocks:
        weighted_rows = (rows_by_account @ block).T
        for index, (_, risky_high, _) in enumerate(assessed):
            weighted_events = (events_by_account[index] @ block).T
            boot_auc[index].append(group_auc(weighted_events, weighted_rows))
            boot_lift[index].append(group_top_decile(weighted_events, weighted_rows, risky_high)[1])
    for index, (_, risky_high, record) in enumerate(assessed):
        oriented = np.concatenate(boot_auc[index])
        oriented = oriented if risky_high else 1 - oriented
        record["auc_low"], record["auc_high"] = percentile_interval(oriented, confidence)
        record["lift_low"], record["lift_high"] = percentile_interval(np.concatenate(boot_lift[index]), confidence)


_MATRIX_COLUMNS = [
    "indicator", "label", "kind", "outcome", "horizon", "auc", "auc_low", "auc_high", "auc_raw", "higher_means",
    "expected_higher_means", "matches_expected", "lift", "lift_low", "lift_high", "top_decile_rate", "event_rate",
    "n_rows", "n_accounts", "n_events",
]  # fmt: skip


def outcome_matrix(wh: Warehouse, *, n_boot: int = 200, seed: int = SEED) -> pd.DataFrame:
    """:func:`indicator_outcome_matrix` of every indicator the warehouse supports, computed once per warehouse.

    The matrix of :func:`indicator_frame` over the indicators of :func:`available_indicators`,
    every outcome and horizon, kept beside the warehouse
    (:meth:`~cskpi_analysis.warehouse.Warehouse.cached`, keyed by ``n_boot`` and ``seed``):
    a report reads it instead of bootstrapping again.
    """

    def compute(wh: Warehouse) -> pd.DataFrame:
        frame = shared_frame(wh)
        kept = available_indicators(frame)[0]
        return indicator_outcome_matrix(frame, indicators=kept, n_boot=n_boot, seed=seed)

    return wh.cached(f"indicator_outcome_matrix_boot{n_boot}_seed{seed}", compute)


def _risky_end(item: Indicator, higher_means_more: bool, outcome: str) -> str:
    """Which end of the indicator is riskiest, in words (e.g. 'bottom')."""
    del item
    wanted_high = higher_means_more if _ADVERSE[outcome] else not higher_means_more
    return "top" if wanted_high else "bottom"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def matrix_sentence(matrix: pd.DataFrame, outcome: str = "churn", horizon: int = 6) -> str:
    """The strongest leading indicator, and where the effort indicators rank.

    E.g. "Active days is the strongest signal: accounts in the bottom decile churn 3.1x
    more often within 6 months (AUC 0.68, 95% CI 0.64-0.71). CS check-ins rank 12th of 13
    and point the wrong way: CSMs visit accounts that are already at risk."
    """
    cell = matrix[(matrix["outcome"] == outcome) & (matrix["horizon"] == horizon)].sort_values("auc", ascending=False)
    if cell.empty:
        return f"No indicator can be assessed against {outcome} within {horizon} months: no observable outcome yet."
    leading = cell[cell["kind"] == "leading"]
    best = (leading if not leading.empty else cell).iloc[0]
    verb = {"churn": "churn", "contraction": "contract", "expansion": "expand"}[outcome]
    end = _risky_end(indicator(best["indicator"]), best["higher_means"] == "more", outcome)
    ci = f", 95% CI {best['auc_low']:.2f}-{best['auc_high']:.2f}" if np.isfinite(best["auc_low"]) else ""
    lift = (
        f"accounts in the {end} decile {verb} {best['lift']:.1f}x as often as average within {horizon} months"
        if np.isfinite(best["lift"])
        else f"it separates accounts that {verb} within {horizon} months"
    )
    text = f"{best['label']} is the strongest signal: {lift} (AUC {best['auc']:.2f}{ci})."
    ranks = {row.indicator: position for position, row in enumerate(cell.itertuples(), start=1)}
    for row in cell[cell["kind"] == "effort"].itertuples():
        rank = f"{_ordinal(ranks[row.indicator])} of {len(cell)}"
        if not row.matches_expected and _ADVERSE[outcome]:
            text += (
                f" {row.label} rank {rank} and point the wrong way (more of them, more {outcome}): "
                "CSMs visit accounts that are already at risk."
            )
        else:
            text += f" {row.label} rank {rank}."
    return text
