"""Analysis options, read from an optional ``cskpi.toml`` in the data folder.

Example ``cskpi.toml``::

    [analysis]
    as_of = 2026-09-30              # the day the export was taken (default: latest date in the data)
    key_features = ["reports", "integrations", "automations"]
    first_value_milestone = "first_value"
    first_value_event = ""          # optional: a feature whose first use marks first value instead
    segment_column = "segment"      # accounts column used as the segment

    [kpis]
    snapshot = "end"                # MRR measured at month end ("end") or month start ("start")
    resignup_grace_days = 0         # a gap of up to N days between subscriptions is not churn
    reactivation = "separate"       # "separate" or "new": how returning accounts are counted

Every option has a default, so the file is optional. Unknown keys are errors (a typo
must not silently fall back to a default). ``segment_column`` may not name personal data
(an e-mail, a person's name, a user id: :func:`cskpi_analysis.contract.is_personal`), which
segment labels would otherwise print in every report.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from cskpi_analysis.contract import is_personal
from cskpi_analysis.errors import ConfigError

CONFIG_FILE = "cskpi.toml"

Snapshot = Literal["end", "start"]
ReactivationMode = Literal["separate", "new"]


@dataclass(frozen=True)
class KpiOptions:
    """Switches of the KPI engine; defaults are the documented definitions.

    Attributes
    ----------
    snapshot : ``"end"`` measures an account's MRR for month M on the last day of M
        (or on ``as_of`` in ``as_of``'s own month); ``"start"`` on the first day of M.
    resignup_grace_days : a gap of up to this many days between the end of one
        subscription and the start of the next is not churn: the account is treated
        as paying its last MRR through the gap. 0 = billing truth.
    reactivation : ``"separate"`` reports returning accounts as reactivation;
        ``"new"`` counts them as new logos and new MRR.
    """

    snapshot: Snapshot = "end"
    resignup_grace_days: int = 0
    reactivation: ReactivationMode = "separate"

    def __post_init__(self) -> None:
        if self.snapshot not in ("end", "start"):
            raise ConfigError(f"kpis.snapshot must be 'end' or 'start', got {self.snapshot!r}")
        if self.reactivation not in ("separate", "new"):
            raise ConfigError(f"kpis.reactivation must be 'separate' or 'new', got {self.reactivation!r}")
        if not isinstance(self.resignup_grace_days, int) or self.resignup_grace_days < 0:
            raise ConfigError(
                f"kpis.resignup_grace_days must be a whole number of days >= 0, got {self.resignup_grace_days!r}"
            )


@dataclass(frozen=True)
class AnalysisConfig:
    """Options of one analysis of one data folder.

    Attributes
    ----------
    as_of : the day the data was exported; nothing after it exists. ``None`` means
        "the latest date found in the data" (resolved by :func:`cskpi_analysis.validate.resolve_as_of`).
    key_features : features whose adoption is tracked (usage_events.feature values).
    first_value_milestone : milestone name that marks first value.
    first_value_event : optional feature whose first use marks first value instead of the
        milestone ("" = not used: the milestone decides).
    segment_column : accounts column used as the segment.
    kpis : switches of the KPI engine.
    targets : ``[targets]`` of ``cskpi.toml``: (catalogue KPI id, target value) pairs, e.g.
        ``net_revenue_retention_t12m = 1.05`` (rates as fractions, money in the data's currency);
        the executive summary reports each KPI on or off its target.
    """

    as_of: dt.date | None = None
    key_features: tuple[str, ...] = ()
    first_value_milestone: str = "first_value"
    first_value_event: str = ""
    segment_column: str = "segment"
    kpis: KpiOptions = field(default_factory=KpiOptions)
    targets: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.segment_column, str) and is_personal(self.segment_column):
            raise ConfigError(
                f"analysis.segment_column {self.segment_column!r} names personal data (an e-mail, a person's name "
                "or a user id), which would be printed as segment labels in every report; name a grouping "
                "column such as segment, plan, region or industry"
            )

    def with_kpis(self, **changes: Any) -> AnalysisConfig:
        """A copy with some KPI switches changed (used by the sensitivity table)."""
        return replace(self, kpis=replace(self.kpis, **changes))


def _check_keys(section: str, given: dict[str, Any], allowed: set[str], path: Path) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown option(s) {', '.join(section + '.' + k for k in unknown)}; "
            f"expected one of {', '.join(sorted(section + '.' + a for a in allowed))}"
        )


def load_config(data_dir: str | Path) -> AnalysisConfig:
    """Read ``cskpi.toml`` from ``data_dir``; the defaults if the file is absent."""
    path = Path(data_dir) / CONFIG_FILE
    if not path.exists():
        return AnalysisConfig()
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a file (a TOML file of options, or nothing)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    _check_keys("", {k: None for k in raw}, {"analysis", "kpis", "targets"}, path)
    analysis = dict(raw.get("analysis", {}))
    kpis = dict(raw.get("kpis", {}))
    analysis_fields = {f.name for f in fields(AnalysisConfig)} - {"kpis"}
    _check_keys("analysis", analysis, analysis_fields, path)
    _check_keys("kpis", kpis, {f.name for f in fields(KpiOptions)}, path)

    as_of = analysis.get("as_of")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    elif isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"{path}: analysis.as_of must be a date YYYY-MM-DD, got {as_of!r}") from None
    elif as_of is not None and not isinstance(as_of, dt.date):
        raise ConfigError(f"{path}: analysis.as_of must be a date YYYY-MM-DD, got {as_of!r}")
    analysis["as_of"] = as_of
    features = analysis.get("key_features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ConfigError(f"{path}: analysis.key_features must be a list of feature names")
    analysis["key_features"] = tuple(features)
    for key in ("first_value_milestone", "first_value_event", "segment_column"):
        if key in analysis and not isinstance(analysis[key], str):
            raise ConfigError(f"{path}: analysis.{key} must be a string, got {analysis[key]!r}")
    targets = _targets(raw.get("targets", {}), path)
    try:
        return AnalysisConfig(**analysis, kpis=KpiOptions(**kpis), targets=targets)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _targets(raw: Any, path: Path) -> tuple[tuple[str, float], ...]:
    """``[targets]``: catalogue KPI ids with a number each (a clear error for anything else)."""
    from cskpi_analysis.catalogue import load_catalogue

    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [targets] must be a table of KPI id = number")
    known = {kpi.id for kpi in load_catalogue()}
    pairs = []
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(
                f"{path}: targets.{key} is not a KPI of the catalogue (see `cskpi catalogue`); "
                "e.g. net_revenue_retention_t12m, gross_revenue_retention_t12m, logo_churn_rate, "
                "monthly_recurring_revenue, mrr_at_risk"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(
                f"{path}: targets.{key} must be a number (a rate as a fraction, e.g. 1.05 for 105%), got {value!r}"
            )
        pairs.append((key, float(value)))
    return tuple(sorted(pairs))


def config_toml(config: AnalysisConfig) -> str:
    """Render a config as ``cskpi.toml`` text (used by the demo generator)."""
    features = ", ".join(f'"{f}"' for f in config.key_features)
    lines = ["[analysis]"]
    if config.as_of is not None:
        lines.append(f"as_of = {config.as_of.isoformat()}")
    lines += [
        f"key_features = [{features}]",
        f'first_value_milestone = "{config.first_value_milestone}"',
        f'first_value_event = "{config.first_value_event}"',
        f'segment_column = "{config.segment_column}"',
        "",
        "[kpis]",
        f'snapshot = "{config.kpis.snapshot}"',
        f"resignup_grace_days = {config.kpis.resignup_grace_days}",
        f'reactivation = "{config.kpis.reactivation}"',
        "",
    ]
    return "\n".join(lines)
