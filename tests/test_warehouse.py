"""The warehouse is built once and read many times (cskpi_analysis/warehouse/).

Every test counts real calls: validation (``validate._run._validate``) and builds
(``warehouse._build._build_file``) are wrapped with counters, so "opened without rebuilding"
is an observed fact, not an assumption.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cskpi_analysis import kpis, narrative, stats, survival
from cskpi_analysis import warehouse as wh_module
from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.errors import AnalysisError, ConfigError
from cskpi_analysis.models import PERSISTED, load_models
from cskpi_analysis.validate import _run as validate_run
from cskpi_analysis.warehouse import _build, _fingerprint, _open, _warehouse, build_marts, open_warehouse
from tests.helpers import write_folder

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"


@pytest.fixture
def counted(monkeypatch):
    """Counters of validations and builds actually run."""
    calls = {"validate": 0, "build": 0}
    real_validate, real_build = validate_run._validate, _build._build_file

    def counting_validate(*args, **kwargs):
        calls["validate"] += 1
        return real_validate(*args, **kwargs)

    def counting_build(*args, **kwargs):
        calls["build"] += 1
        return real_build(*args, **kwargs)

    monkeypatch.setattr(validate_run, "_validate", counting_validate)  # where _open and resolve_as_of look it up
    monkeypatch.setattr(_open, "_build_file", counting_build)  # where open_warehouse looks it up
    return calls


@pytest.fixture
def folder(tmp_path):
    data = write_folder(
        tmp_path / "data",
        [("A", "2024-01-01", None, 100, 1), ("B", "2024-01-01", "2024-03-01", 50, 1)],
    )
    (data / "cskpi.toml").write_text("[analysis]\nas_of = 2024-04-30\n")
    return data


def test_the_second_open_reads_the_file_without_validating_or_building(folder, tmp_path, counted):
    db = tmp_path / "wh.duckdb"
    with open_warehouse(folder, database=db) as first:
        assert first.execute("select count(*) from mart_kpis_monthly").fetchone()[0] > 0
    assert counted == {"validate": 1, "build": 1}
    built_at = db.stat().st_mtime_ns
    with open_warehouse(folder, database=db) as second:
        assert second.config.as_of == dt.date(2024, 4, 30)
    assert counted == {"validate": 1, "build": 1}
    assert db.stat().st_mtime_ns == built_at


def test_a_touched_but_unchanged_file_is_not_a_reason_to_rebuild(folder, tmp_path, counted):
    db = tmp_path / "wh.duckdb"
    open_warehouse(folder, database=db).close()
    path = folder / "accounts.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    open_warehouse(folder, database=db).close()
    assert counted["build"] == 1  # same size and content hash: up to date


@pytest.mark.parametrize(
    "change",
    [
        lambda d: (d / "subscriptions.csv").write_text((d / "subscriptions.csv").read_text().replace(",50,", ",60,")),
        lambda d: (d / "cskpi.toml").write_text("[analysis]\nas_of = 2024-03-31\n"),
        lambda d: shutil.copy(d / "accounts.csv", d / "notes.csv"),  # a new file: validation warns about it
    ],
    ids=["data", "config", "new-file"],
)
def test_a_changed_folder_is_validated_and_built_again(folder, tmp_path, counted, change):
    db = tmp_path / "wh.duckdb"
    open_warehouse(folder, database=db).close()
    change(folder)
    with open_warehouse(folder, database=db) as wh:
        assert counted == {"validate": 2, "build": 2}
        if (folder / "cskpi.toml").read_text().endswith("03-31\n"):
            assert wh.config.as_of == dt.date(2024, 3, 31)


def test_the_file_holds_the_marts_and_what_readers_select_from_and_nothing_else(folder, tmp_path):
    with open_warehouse(folder, database=tmp_path / "wh.duckdb") as wh:
        tables = set(wh.tables())
        with pytest.raises(duckdb.Error):
            wh.execute("create table scribble as select 1")  # read-only
    marts = {name for name in load_models() if name.startswith("mart_")}
    assert marts | PERSISTED <= tables
    temporary = {name for name in load_models() if name not in marts | PERSISTED}
    assert not temporary & tables, "intermediates were persisted"
    assert not {t for t in tables if t.startswith("src_")}, "views over the source files were persisted"


def test_a_file_warehouse_has_the_same_numbers_as_an_in_memory_build(folder, tmp_path):
    memory = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 4, 30)))
    with open_warehouse(folder, database=tmp_path / "wh.duckdb") as wh:
        for mart in sorted(name for name in load_models() if name.startswith("mart_")):
            query = f"select * from {mart} order by all"
            pd.testing.assert_frame_equal(wh.df(query), memory.df(query), check_exact=True)


def test_another_landmark_is_built_once_beside_the_warehouse_and_reused(folder, tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    with open_warehouse(folder, database=db) as wh:
        day60 = survival.survival_frame(wh, 60, 365)
        assert wh.execute("select distinct landmark_days from mart_account_landmark").fetchall() == [(30,)]
    monkeypatch.setenv("CSKPI_NO_BUILD", "1")  # from here on, any build fails
    with open_warehouse(folder, database=db) as again:
        pd.testing.assert_frame_equal(survival.survival_frame(again, 60, 365), day60)
        variant = again.with_parameters(landmark_days=60)
        assert variant.execute("select distinct landmark_days from mart_account_landmark").fetchall() == [(60,)]
        # marts that do not read the landmark come from the main file
        assert (
            variant.execute("select count(*) from mart_kpis_monthly").fetchone()
            == again.execute("select count(*) from mart_kpis_monthly").fetchone()
        )


def test_no_build_forbids_building_a_missing_warehouse(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CSKPI_NO_BUILD", "1")
    with pytest.raises(AnalysisError, match="CSKPI_NO_BUILD"):
        open_warehouse(folder, database=tmp_path / "wh.duckdb")
    assert not (tmp_path / "wh.duckdb").exists()


def test_a_source_file_is_never_replaced_by_a_warehouse(folder):
    before = (folder / "accounts.csv").read_bytes()
    with pytest.raises(ConfigError, match="not a DuckDB file"):
        open_warehouse(folder, database=folder / "accounts.csv")
    assert (folder / "accounts.csv").read_bytes() == before


def test_no_warehouse_and_no_report_is_ever_written_inside_the_data_folder(folder, tmp_path):
    from cskpi_analysis.report import ReportError, build_reports

    listing = sorted(p.name for p in folder.iterdir())
    with pytest.raises(ConfigError, match="inside the data folder"):
        open_warehouse(folder, database=folder / "kpis.duckdb")
    with pytest.raises(ReportError, match="inside the data folder"):
        build_reports(folder, folder / "reports", [REPO / "notebooks" / "00_data_quality.py"])
    assert sorted(p.name for p in folder.iterdir()) == listing


def test_the_default_warehouse_lives_in_the_cache_not_in_the_data_folder(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CSKPI_CACHE_DIR", str(tmp_path / "cache"))
    listing = sorted(p.name for p in folder.iterdir())
    with open_warehouse(folder) as wh:
        assert wh.path is not None and (tmp_path / "cache") in wh.path.parents
    assert sorted(p.name for p in folder.iterdir()) == listing


def test_sensitivity_is_computed_once_for_every_segment(folder, tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    with open_warehouse(folder, database=db) as wh:
        first = kpis.sensitivity(wh, "All")
    calls = []
    monkeypatch.setattr(kpis, "_alternative_headlines", lambda *a: calls.append(a))
    with open_warehouse(folder, database=db) as wh:  # a new process would do the same: read the kept table
        pd.testing.assert_frame_equal(kpis.sensitivity(wh, "All"), first)
        assert set(kpis.sensitivity(wh, "SMB")["kpi"]) == set(first["kpi"])  # another segment: a filter
        with pytest.raises(AnalysisError, match="unknown segment"):
            kpis.sensitivity(wh, "Nope")
    assert calls == []


@pytest.mark.slow
def test_notebooks_opened_on_a_built_warehouse_neither_validate_nor_build(tmp_path, monkeypatch, counted):
    """Runs every notebook in-process (marimo's App.run) on a warehouse built beforehand."""
    if not DEMO.is_dir():
        pytest.skip("data/demo is missing; 'make demo' writes it")
    db = tmp_path / "wh.duckdb"
    open_warehouse(DEMO, database=db).close()
    assert counted == {"validate": 1, "build": 1}
    monkeypatch.setenv("CSKPI_DATA", str(DEMO))
    monkeypatch.setenv("CSKPI_DB", str(db))
    monkeypatch.chdir(tmp_path)  # nothing depends on the working directory
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"notebook_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.app.run()  # raises if a cell fails
    assert counted == {"validate": 1, "build": 1}


def test_a_kept_result_is_computed_again_when_the_code_computing_it_changes(folder, tmp_path, monkeypatch):
    db = tmp_path / "wh.duckdb"
    calls = []

    def compute(wh):
        calls.append(1)
        return pd.DataFrame({"x": [len(calls)]})

    with open_warehouse(folder, database=db) as wh:
        wh.cached("probe", compute)
    with open_warehouse(folder, database=db) as wh:
        assert wh.cached("probe", compute)["x"].tolist() == [1]  # kept: not computed again
    monkeypatch.setattr(_warehouse, "_module_digest", lambda function: "changed")  # where Warehouse.cached looks it up
    with open_warehouse(folder, database=db) as wh:
        assert wh.cached("probe", compute)["x"].tolist() == [2]
    assert len(calls) == 2
    # the result of the earlier code is removed when the new one is kept; other names stay
    kept = sorted(p.name for p in (tmp_path / "wh.duckdb.d" / "results").glob("probe-*.parquet"))
    assert len(kept) == 1 and kept[0].endswith("-changed.parquet")


def test_a_kept_result_asked_for_twice_at_once_is_computed_once(folder, tmp_path):
    # cskpi report exports notebooks in parallel and several read the same kept result (the survival fits,
    # the worklist model): the second asker waits for the first and reads what it kept, it does not fit again
    import threading
    import time

    db = tmp_path / "wh.duckdb"
    open_warehouse(folder, database=db).close()  # built once, outside the race
    calls = []
    computing = threading.Event()

    def compute(wh):
        calls.append(1)
        computing.set()
        time.sleep(0.5)  # the second asker arrives while this one computes
        return pd.DataFrame({"x": [len(calls)]})

    seen = {}

    def ask(who):
        with open_warehouse(folder, database=db) as wh:
            if who == "second":
                assert computing.wait(10)
            seen[who] = wh.cached("shared", compute)["x"].tolist()

    threads = [threading.Thread(target=ask, args=(who,)) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls == [1] and seen == {"first": [1], "second": [1]}


def test_a_kept_result_of_a_subpackage_depends_on_every_module_it_may_call(monkeypatch):
    # survival/_cox.py calls survival/_covariates.py and stats.py: a change to either must recompute
    # a kept Cox model, so the digest covers the whole subpackage and stats.py (not the one file)
    from cskpi_analysis.indicators import _matrix
    from cskpi_analysis.survival import _cox, _km

    digest = _fingerprint._module_digest
    cox, km, matrix = digest(_cox.cox_model), digest(_km.kaplan_meier_curves), digest(_matrix.outcome_matrix)
    assert cox == km  # one subpackage, one digest
    assert cox != matrix
    # a top-level module is hashed alone: two functions of one module share a digest
    text = digest(narrative.user_text)
    assert text == digest(narrative.markdown_text) != digest(stats.wilson_interval)
    # an edit to stats.py (simulated by reading it with one more byte) changes the Cox digest
    stats_file = Path(stats.__file__)
    read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read(self) + (b"#" if self == stats_file else b""))
    assert digest(_cox.cox_model) != cox
    assert digest(narrative.user_text) == digest(narrative.markdown_text) == text  # not in a subpackage


def test_the_code_version_covers_every_module_of_the_warehouse_and_validate_packages(monkeypatch):
    # a warehouse is stale when the code that builds it changes: an edit to any file of warehouse/ or
    # validate/ (simulated by reading it with one more byte) must change the code version
    before = wh_module.code_version()
    read = Path.read_bytes
    modules = sorted(Path(wh_module.__file__).parent.glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "_build.py", "_open.py", "_warehouse.py"}
    validators = sorted(Path(validate_run.__file__).parent.glob("*.py"))
    assert {m.name for m in validators} >= {"__init__.py", "_rules.py", "_run.py"}
    modules += validators
    for module in modules:
        monkeypatch.setattr(Path, "read_bytes", lambda self, m=module: read(self) + (b"#" if self == m else b""))
        assert wh_module.code_version() != before, f"{module.name} is not in the code version"
    monkeypatch.setattr(Path, "read_bytes", read)
    assert wh_module.code_version() == before


def test_a_kept_result_may_be_named_after_any_segment(folder, tmp_path):
    # segment names reach file names: 'Mid-Market' and 'Mid Market' must not collide, '/' must not escape
    db = tmp_path / "wh.duckdb"
    names = ["worklist_Mid-Market", "worklist_Mid Market", "worklist_a/../b"]
    with open_warehouse(folder, database=db) as wh:
        for i, name in enumerate(names):
            wh.cached(name, lambda wh, i=i: pd.DataFrame({"x": [i]}))
    with open_warehouse(folder, database=db) as wh:
        for i, name in enumerate(names):
            assert wh.cached(name, lambda wh: pd.DataFrame({"x": [-1]}))["x"].tolist() == [i]  # read back, not computed
    kept = sorted(p.name for p in (tmp_path / "wh.duckdb.d" / "results").iterdir())
    assert len(kept) == 3 and all("/" not in k and k.count("-") == 2 for k in kept)
