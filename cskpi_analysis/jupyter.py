"""Executed Jupyter copies of the marimo notebooks, for reviewers who work in Jupyter.

``cskpi jupyter DIR`` (``make jupyter``) runs :func:`build_copies`: for each
``notebooks/NN_topic.py`` it

1. exports the notebook with ``marimo export ipynb --sort topological`` (cells in
   an order that runs top to bottom; marimo leaves execution counts null and no
   kernelspec);
2. puts a setup cell first (:func:`setup_cell`) that calls :func:`setup_kernel`:
   it moves the kernel to the repository root, sets ``CSKPI_DATA`` (read by
   :func:`cskpi_analysis.notebook.data_dir`) unless already set, and switches
   altair to the ``cskpi`` theme and static SVG charts;
3. executes it with nbclient in the ``python3`` kernel, from the copy's own folder
   (as Jupyter and nbval do);
4. strips volatile metadata and writes ``notebooks/jupyter/NN_topic.ipynb``.

The copies are deterministic: stable cell ids (marimo's), no timings, no
timestamps. ``tests/test_jupyter.py`` checks that they are in sync with the
marimo sources, and ``pytest --nbval notebooks/jupyter --nbval-sanitize-with
nbval_sanitize.cfg`` re-runs them and compares every output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from cskpi_analysis.errors import CskpiError
from cskpi_analysis.notebook import DATA_ENV

SETUP_CELL_ID = "cskpi-jupyter-setup"
KERNEL_NAME = "python3"
COPIES_DIR = Path("notebooks/jupyter")
_ROOT_MARKER = "pyproject.toml"


class JupyterCopyError(CskpiError):
    """A marimo notebook could not be exported or executed as a Jupyter notebook."""


def _repo_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / _ROOT_MARKER).exists():
            return folder
    return None


def setup_kernel(data: str) -> None:
    """Prepare a Jupyter kernel to run a copy of a cskpi notebook.

    Idempotent: moves the working directory to the repository root (the nearest
    folder upwards holding ``pyproject.toml``; left alone if there is none), sets
    the environment variable ``CSKPI_DATA`` to ``data`` unless it is already set,
    and enables the ``cskpi`` chart theme with static SVG rendering.

    Parameters
    ----------
    data : data folder, relative to the repository root, used when ``CSKPI_DATA`` is unset.
    """
    from cskpi_analysis.charts import enable_theme

    root = _repo_root(Path.cwd())
    if root is not None:
        os.chdir(root)
    os.environ.setdefault(DATA_ENV, data)
    enable_theme()


def setup_cell(data: str) -> NotebookNode:
    """The code cell put first in every copy; it calls :func:`setup_kernel` with ``data``."""
    source = (
        "# Jupyter copy of a marimo notebook, written by `cskpi jupyter`; edit the marimo .py, not this file.\n"
        "# Set CSKPI_DATA before starting Jupyter to analyse another data folder.\n"
        "from cskpi_analysis.jupyter import setup_kernel\n"
        "\n"
        f"setup_kernel(data={data!r})"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = SETUP_CELL_ID
    return cell


def export_ipynb(notebook: Path, timeout: float = 300) -> NotebookNode:
    """The marimo notebook as an (unexecuted) Jupyter notebook, cells in topological order."""
    with tempfile.TemporaryDirectory(prefix="cskpi-ipynb-") as tmp:
        target = Path(tmp) / f"{notebook.stem}.ipynb"
        command = [sys.executable, "-m", "marimo", "export", "ipynb", "--sort", "topological", "--force",
                   str(notebook), "-o", str(target)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or not target.exists():
            raise JupyterCopyError(
                f"{notebook.name}: marimo could not export it to ipynb:\n{result.stderr.strip()[-2000:]}"
            )
        return nbformat.read(target, as_version=4)


def cell_sources(nb: NotebookNode) -> list[tuple[str, str]]:
    """``(cell type, source)`` of the notebook's own cells (the setup cell excluded), in order."""
    return [(cell.cell_type, cell.source) for cell in nb.cells if cell.get("id") != SETUP_CELL_ID]


def stale_copies(notebooks: Sequence[Path], out_dir: Path = COPIES_DIR) -> list[str]:
    """Notebooks whose Jupyter copy is missing or whose cells differ from the marimo source.

    Returns
    -------
    list of str
        One line per stale copy, e.g. ``"notebooks/jupyter/01_x.ipynb: cell 3 differs"``.
    """
    stale = []
    for notebook in notebooks:
        copy = Path(out_dir) / f"{Path(notebook).stem}.ipynb"
        if not copy.exists():
            stale.append(f"{copy}: missing")
            continue
        expected = cell_sources(export_ipynb(Path(notebook)))
        actual = cell_sources(nbformat.read(copy, as_version=4))
        if expected != actual:
            differing = next(
                (i for i, (e, a) in enumerate(zip(expected, actual, strict=False), start=1) if e != a), None
            )
            where = f"cell {differing} differs" if differing else f"{len(actual)} cells instead of {len(expected)}"
            stale.append(f"{copy}: {where}")
    return stale


def prepare(nb: NotebookNode, data: str) -> NotebookNode:
    """A copy of a marimo-exported notebook ready for a Jupyter kernel (``nb`` is not changed).

    Adds the setup cell and the ``python3`` kernelspec, and keeps only the
    stable parts of the notebook metadata.
    """
    prepared = nbformat.from_dict(nb)
    prepared.cells = [setup_cell(data), *prepared.cells]
    prepared.metadata = nbformat.from_dict(
        {
            "kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
            "marimo": dict(nb.metadata.get("marimo", {})),
        }
    )
    return prepared


def execute(nb: NotebookNode, cwd: Path, data: str, timeout: float = 1800) -> NotebookNode:
    """Run every cell in a fresh ``python3`` kernel started in ``cwd`` with ``CSKPI_DATA=data``.

    Raises
    ------
    JupyterCopyError
        A cell raised; the message names the cell and the error.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    env = {**os.environ, DATA_ENV: data, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout, record_timing=False, allow_errors=False)
    try:
        client.execute(cwd=str(cwd), env=env)
    except CellExecutionError as exc:
        raise JupyterCopyError(str(exc).strip().splitlines()[-1]) from None
    except (CellTimeoutError, DeadKernelError) as exc:
        raise JupyterCopyError(str(exc)) from None
    return nb


def normalise(nb: NotebookNode) -> NotebookNode:
    """Drop what changes between runs and machines (execution metadata, transient ids, Python version); number cells 1, 2, ..."""
    language = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {k: v for k, v in language.items() if k != "version"}  # differs per machine
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        for output in cell.outputs:
            output.pop("transient", None)
            if "execution_count" in output:
                output["execution_count"] = count
            for mimetype, value in output.get("data", {}).items():
                if isinstance(value, str) and "-id=" in value:
                    output["data"][mimetype] = _stable_element_ids(value, count)
    return nb


_ELEMENT_ID = re.compile(r"(object-id|random-id)='[0-9a-f-]{36}'")


def _stable_element_ids(text: str, cell_number: int) -> str:
    """marimo gives each UI element a random id per run; number them per cell instead, so that
    rebuilding the copies changes nothing a reviewer has to read."""
    seen: dict[str, str] = {}

    def stable(match: re.Match[str]) -> str:
        original = match.group(0).split("=", 1)[1]
        seen.setdefault(original, f"'cell{cell_number}-element{len(seen) + 1}'")
        return f"{match.group(1)}={seen[original]}"

    return _ELEMENT_ID.sub(stable, text)


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """Write ``nb`` (validated, keys sorted, final newline) to ``path``."""
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def build_copy(notebook: Path, data: str, out_dir: Path, timeout: float = 1800) -> Path:
    """Export, execute and write the Jupyter copy of one marimo notebook; returns its path."""
    try:
        nb = execute(prepare(export_ipynb(notebook), data), cwd=out_dir.resolve(), data=data, timeout=timeout)
    except JupyterCopyError as exc:
        raise JupyterCopyError(f"{notebook.name}: {exc}") from None
    target = out_dir / f"{notebook.stem}.ipynb"
    write_notebook(normalise(nb), target)
    return target


def _write_progress(text: str) -> None:
    print(text, end="", flush=True)


def build_copies(
    data_dir: Path,
    notebooks: Sequence[Path],
    out_dir: Path = COPIES_DIR,
    progress: Callable[[str], None] = _write_progress,
    timeout: float = 1800,
) -> list[Path]:
    """Write an executed Jupyter copy of each notebook into ``out_dir``.

    Parameters
    ----------
    data_dir : data folder the copies are executed with; recorded in their setup cell
        relative to the repository root when it lies inside it.
    notebooks : marimo notebooks.
    out_dir : where ``NN_topic.ipynb`` files are written (created if needed).
    progress : receives ``"[1/3] 01_topic ..."`` and ``" 12.0 s\\n"``.
    timeout : seconds one cell may take.
    """
    import time

    out_dir = Path(out_dir)
    root = _repo_root(out_dir.resolve())
    data_path = Path(data_dir).resolve()
    # relative to the repository root (where setup_kernel moves the kernel) when possible
    data = data_path.relative_to(root).as_posix() if root and data_path.is_relative_to(root) else str(data_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, notebook in enumerate(notebooks, start=1):
        progress(f"[{number}/{len(notebooks)}] {notebook.stem} ...")
        started = time.monotonic()
        try:
            written.append(build_copy(Path(notebook), data, out_dir, timeout))
        except JupyterCopyError:
            progress(" failed\n")
            raise
        progress(f" {time.monotonic() - started:.1f} s\n")
    return written
