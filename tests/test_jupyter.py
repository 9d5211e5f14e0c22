"""Jupyter copies: in sync with the marimo notebooks, deterministic, and passing nbval (strict).

Also covers the helpers every notebook calls in Jupyter: ``notebook.data_dir`` and ``charts.enable_theme``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import altair as alt
import pytest

from cskpi_analysis import notebook
from cskpi_analysis.charts import CATEGORY_PALETTE, enable_theme
from cskpi_analysis.errors import ConfigError
from cskpi_analysis.jupyter import SETUP_CELL_ID, build_copies, setup_kernel, stale_copies
from cskpi_analysis.report import find_notebooks

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
SANITIZE = REPO_ROOT / "nbval_sanitize.cfg"
REAL_NOTEBOOKS = find_notebooks(REPO_ROOT / "notebooks")


def _quiet(_: str) -> None:
    pass


def _nbval(copy: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval", str(copy),
               "--nbval-sanitize-with", str(SANITIZE)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, cwd=copy.parent, timeout=600)


@pytest.fixture(scope="module")
def fixture_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jupyter")
    [copy] = build_copies(FIXTURES / "data", [FIXTURES / "notebooks" / "01_chart.py"], out, progress=_quiet)
    return copy


# --- the committed copies ---


@pytest.mark.parametrize(
    "source",
    REAL_NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason="no notebooks/NN_topic.py yet"))],
    ids=lambda source: source.stem if source else "none",
)
def test_committed_jupyter_copy_is_in_sync_with_its_marimo_notebook(source: Path) -> None:
    stale = stale_copies([source], REPO_ROOT / "notebooks" / "jupyter")
    assert not stale, f"{stale[0]}: run make jupyter"


# --- a fixture copy, built once ---


@pytest.mark.slow
def test_copy_runs_in_a_jupyter_kernel_with_outputs_and_static_svg_charts(fixture_copy: Path) -> None:
    nb = json.loads(fixture_copy.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "version" not in nb["metadata"]["language_info"]
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert code[0]["id"] == SETUP_CELL_ID
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1))
    outputs = [output for cell in code for output in cell["outputs"]]
    assert any("1350.25" in "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
    assert all("execution" not in cell["metadata"] for cell in nb["cells"])


@pytest.mark.slow
def test_copy_is_byte_for_byte_the_same_when_rebuilt(fixture_copy: Path, tmp_path: Path) -> None:
    [again] = build_copies(FIXTURES / "data", [FIXTURES / "notebooks" / "01_chart.py"], tmp_path, progress=_quiet)
    assert again.read_bytes() == fixture_copy.read_bytes()


@pytest.mark.slow
def test_copy_passes_nbval_strictly(fixture_copy: Path) -> None:
    result = _nbval(fixture_copy)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.slow
def test_nbval_fails_when_a_number_in_a_table_changes(fixture_copy: Path, tmp_path: Path) -> None:
    tampered = tmp_path / fixture_copy.name
    text = fixture_copy.read_text()
    assert text.count("1350.25") >= 1
    tampered.write_text(text.replace("1350.25", "1350.26"))
    result = _nbval(tampered)
    assert result.returncode != 0
    assert "1350.25" in result.stdout  # nbval shows the reference value it expected


# --- helpers the notebooks call outside marimo ---


def test_data_dir_outside_marimo_reads_cskpi_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSKPI_DATA", "data/acme")
    assert notebook.data_dir() == Path("data/acme")


def test_data_dir_outside_marimo_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSKPI_DATA", raising=False)
    assert notebook.data_dir() == Path("data/demo")
    assert notebook.data_dir(default="elsewhere") == Path("elsewhere")


def test_data_dir_under_marimo_prefers_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSKPI_DATA", "data/acme")
    monkeypatch.setattr(notebook, "_marimo_cli_args", lambda: {"data": "data/from-cli"})
    assert notebook.data_dir() == Path("data/from-cli")


def test_data_dir_given_twice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "_marimo_cli_args", lambda: {"data": ["a", "b"]})
    with pytest.raises(ConfigError, match="given 2 times"):
        notebook.data_dir()


def test_notebook_03_opens_on_day_30_and_12_months_without_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "_marimo_cli_args", lambda: {})
    assert notebook.landmark_and_horizon() == ("day 30", "12 months")


def test_notebook_03_opens_on_the_landmark_and_horizon_of_its_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """marimo hands ``-- --landmark 60 --horizon 730`` over as strings (cskpi build --warm passes them so)."""
    monkeypatch.setattr(notebook, "_marimo_cli_args", lambda: {"landmark": "60", "horizon": "730"})
    assert notebook.landmark_and_horizon() == ("day 60", "24 months")


def test_a_landmark_notebook_03_does_not_offer_is_an_error_listing_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "_marimo_cli_args", lambda: {"landmark": "45"})
    with pytest.raises(ConfigError, match=r"--landmark must be one of 14, 30, 60 \(days\), got '45'"):
        notebook.landmark_and_horizon()


def test_setup_kernel_moves_to_the_repo_root_and_keeps_a_data_folder_already_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT / "tests" / "fixtures")
    monkeypatch.setenv("CSKPI_DATA", "data/acme")
    setup_kernel(data="data/demo")
    assert Path.cwd() == REPO_ROOT
    assert os.environ["CSKPI_DATA"] == "data/acme"


def test_enable_theme_outside_marimo_draws_static_svg_with_the_colour_blind_safe_palette() -> None:
    enable_theme()
    enable_theme()  # idempotent
    assert alt.theme.active == "cskpi"
    assert alt.renderers.active == "svg"
    chart = alt.Chart(alt.Data(values=[{"a": "x", "b": 1}])).mark_bar().encode(x="a:N", y="b:Q", color="a:N")
    assert chart.to_dict()["config"]["range"]["category"] == list(CATEGORY_PALETTE)
    assert "image/svg+xml" in chart._repr_mimebundle_()


def test_normalise_replaces_random_ui_element_ids_with_stable_ones():
    import nbformat

    from cskpi_analysis.jupyter import normalise

    random_id = "2a878f8b-60db-6df5-79af-453807e9bb3c"
    html = f"<marimo-ui-element object-id='{random_id}' random-id='{random_id}'></marimo-ui-element>"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data={"text/html": html})])
    ]
    out = normalise(nb).cells[0].outputs[0]["data"]["text/html"]
    assert random_id not in out
    assert out == "<marimo-ui-element object-id='cell1-element1' random-id='cell1-element1'></marimo-ui-element>"
