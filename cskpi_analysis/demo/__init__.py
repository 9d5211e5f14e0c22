"""Synthetic demo data with a planted truth, written in the data contract.

:func:`generate_demo` builds every contract table in memory; :func:`write_demo`
writes the same data to a folder (CSV or Parquet) together with ``cskpi.toml`` and
``ground_truth.json``, generating the event tables in shards of accounts so that a
million accounts fit in memory. The generative model and every parameter are
documented in ``docs/demo_data.md`` and written to ``ground_truth.json``; the
parameters live in :data:`PARAMETERS`, the single source of both.

Generative model, in short
--------------------------
Each account has a latent churn time, exponential from its first subscription
start, with monthly hazard

.. math:: h = h_0[\\text{segment}] \\cdot 2.0^{\\text{no\\_key\\_feature\\_30d}} \\cdot 1.6^{\\text{slow\\_ttfv}}

where ``no_key_feature_30d`` means no ``automations`` event in days [0, 30) and
``slow_ttfv`` means no ``first_value`` milestone within 30 days. Monthly plans
churn on that day; annual plans at the first renewal anniversary on or after it;
a churn after ``as_of`` is censored (empty ``end_date``). Usage declines over the
3 months before churn; the vendor health score is partly informative; CSMs
contact low-health accounts more (confounding); early support tickets and CSAT
are pure noise.

Reproducibility: one ``numpy.random.default_rng(seed)`` draws every account-level
quantity, then one seed per shard of :data:`SHARD_ACCOUNTS` accounts, so the data
depend only on ``(n_accounts, seed, as_of)`` and not on how they are written.

Examples
--------
>>> from cskpi_analysis.demo import generate_demo
>>> demo = generate_demo(200, seed=1)
>>> sorted(demo.tables) == sorted(["accounts", "subscriptions", "usage_events", "support_tickets",
...     "nps_responses", "health_scores", "cs_activities", "milestones"])
True

Layout (private modules; the names below are the package's API):

* ``_parameters``: every parameter (:data:`PARAMETERS`), the vocabularies and the export date;
* ``_arrays``: vectorised day arithmetic and draws, Arrow columns and tables in the contract's schema;
* ``_accounts``: the accounts table, first subscription starts, the planted 30-day covariates, the hazard;
* ``_subscriptions``: episodes (latent churn, reactivation) and the subscriptions table (MRR changes, add-ons);
* ``_model``: the account-level model drawn in a fixed order, and one shard's view of it;
* ``_usage``: usage events and milestones;
* ``_support``: support tickets and NPS responses;
* ``_health``: health scores and the CS activities they drive;
* ``_generate``: one shard's event tables, the ground truth, :func:`generate_demo`;
* ``_write``: writing a folder atomically, shard by shard, :func:`write_demo`.
"""

from __future__ import annotations

from cskpi_analysis.demo._generate import DemoData, generate_demo
from cskpi_analysis.demo._parameters import DEFAULT_AS_OF, GROUND_TRUTH_FILE, KEY_FEATURES, PARAMETERS
from cskpi_analysis.demo._write import DemoSummary, write_demo

__all__ = [
    "DEFAULT_AS_OF",
    "GROUND_TRUTH_FILE",
    "KEY_FEATURES",
    "PARAMETERS",
    "DemoData",
    "DemoSummary",
    "generate_demo",
    "write_demo",
]
