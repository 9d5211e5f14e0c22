"""The demo dataset in memory: every event table of one shard from its own generator, the ground truth
(planted parameters and a summary of the sample), and :func:`generate_demo`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.contract import TABLES
from cskpi_analysis.demo._arrays import _dates, _strings, _table, _to_pandas
from cskpi_analysis.demo._health import _cs_activities, _health_scores
from cskpi_analysis.demo._model import _build_model, _Model, _ShardAccounts
from cskpi_analysis.demo._parameters import (
    _GENERATIVE_MODEL,
    DEFAULT_AS_OF,
    KEY_FEATURES,
    PARAMETERS,
    SHARD_ACCOUNTS,
)
from cskpi_analysis.demo._support import _nps_responses, _support_tickets
from cskpi_analysis.demo._usage import _milestones, _usage_events
from cskpi_analysis.stats import spearman


@dataclass(frozen=True)
class DemoData:
    """A generated demo dataset.

    Attributes
    ----------
    tables : every contract table, columns in contract order; dates and timestamps as
        ``datetime64``, empty values as missing.
    ground_truth : the planted parameters and a summary of this sample (``ground_truth.json``).
    config : the analysis options written to ``cskpi.toml``.
    """

    tables: dict[str, pd.DataFrame]
    ground_truth: dict[str, Any]
    config: AnalysisConfig


@dataclass(frozen=True)
class _Shard:
    tables: dict[str, pa.Table]
    health_sum: np.ndarray  # per account of the shard, for the ground-truth summary
    health_count: np.ndarray


def _shard(model: _Model, shard_number: int, ticket_offset: int) -> _Shard:
    """Every event table for one shard of accounts, drawn from the shard's own generator."""
    rng = np.random.default_rng(int(model.shard_seeds[shard_number]))
    shard = _ShardAccounts.select(model, shard_number)
    usage = _usage_events(rng, shard)
    milestones = _milestones(rng, shard)
    tickets = _support_tickets(rng, shard, ticket_offset)
    nps = _nps_responses(rng, shard)
    months = _health_scores(rng, shard)
    account = shard.episode_local[months.episode]
    health = _table(
        "health_scores",
        {
            "account_id": _strings(shard.account_ids, account),
            "scored_at": _dates(months.scored_day),
            "score": pa.array(months.score, pa.float64()),
        },
    )
    activities = _cs_activities(rng, shard, months)
    return _Shard(
        tables={
            "usage_events": usage,
            "support_tickets": tickets,
            "nps_responses": nps,
            "health_scores": health,
            "cs_activities": activities,
            "milestones": milestones,
        },
        health_sum=np.bincount(account, weights=months.score, minlength=shard.n_accounts),
        health_count=np.bincount(account, minlength=shard.n_accounts),
    )


def _shards(model: _Model) -> Iterator[_Shard]:
    ticket_offset = 0
    for shard in range(len(model.shard_seeds)):
        result = _shard(model, shard, ticket_offset)
        ticket_offset += result.tables["support_tickets"].num_rows
        yield result


def _ground_truth(
    model: _Model, seed: int, as_of: dt.date, health_sum: np.ndarray, health_count: np.ndarray
) -> dict[str, Any]:
    scored = health_count > 0
    mean_score = health_sum[scored] / health_count[scored]
    rho = spearman(mean_score, model.covariates.log_hazard[scored]) if scored.sum() > 2 else None
    summary = dict(model.summary)
    summary["health_score_spearman_account_mean_score_vs_latent_log_hazard"] = rho
    return {
        "generator": "cskpi_analysis.demo",
        "seed": seed,
        "n_accounts": model.n_accounts,
        "as_of": as_of.isoformat(),
        "generative_model": _GENERATIVE_MODEL,
        "parameters": PARAMETERS,
        "summary": summary,
    }


def _config(as_of: dt.date) -> AnalysisConfig:
    return AnalysisConfig(as_of=as_of, key_features=KEY_FEATURES)


def generate_demo(n_accounts: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> DemoData:
    """Generate the demo dataset in memory.

    Parameters
    ----------
    n_accounts : number of accounts (at least 1).
    seed : seed of the one ``numpy.random.default_rng`` every draw derives from.
    as_of : export date; nothing after it exists.

    Returns
    -------
    DemoData
        Every contract table (columns in contract order), the planted truth and the config.
        The same arguments always give identical frames.

    Examples
    --------
    >>> demo = generate_demo(100, seed=3)
    >>> demo.tables["accounts"]["account_id"].iloc[0]
    'ACC-000001'
    """
    model = _build_model(n_accounts, seed, as_of)
    health_sum = np.zeros(n_accounts)
    health_count = np.zeros(n_accounts, np.int64)
    pieces: dict[str, list[pa.Table]] = {}
    for index, shard in enumerate(_shards(model)):
        first = index * SHARD_ACCOUNTS
        health_sum[first : first + len(shard.health_sum)] = shard.health_sum
        health_count[first : first + len(shard.health_count)] = shard.health_count
        for name, table in shard.tables.items():
            pieces.setdefault(name, []).append(table)
    arrow_tables = {"accounts": model.accounts, "subscriptions": model.subscriptions}
    arrow_tables |= {name: pa.concat_tables(parts) for name, parts in pieces.items()}
    tables = {name: _to_pandas(arrow_tables[name]) for name in TABLES}
    return DemoData(tables, _ground_truth(model, seed, as_of, health_sum, health_count), _config(as_of))
