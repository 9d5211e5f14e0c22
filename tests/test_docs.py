"""The user docs agree with the code: every mart column is documented in docs/marts.md."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cskpi_analysis.config import AnalysisConfig
from cskpi_analysis.warehouse import build_marts
from tests.helpers import write_folder

DOCS = Path(__file__).resolve().parents[1] / "docs"


def documented_sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## `(\w+)`", text, flags=re.MULTILINE)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    folder = write_folder(tmp_path_factory.mktemp("docs"), [("A", "2024-01-01", None, 100, 1)])
    con = build_marts(folder, AnalysisConfig(as_of=dt.date(2024, 2, 29)))
    names = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_name like 'mart_%'"
        ).fetchall()
    ]
    return {name: [r[0] for r in con.execute(f"describe {name}").fetchall()] for name in names}


def test_every_mart_column_is_documented(marts):
    sections = documented_sections((DOCS / "marts.md").read_text(encoding="utf-8"))
    assert len(marts) >= 9
    for mart in marts:
        assert mart in sections, f"docs/marts.md has no section for {mart}"
        missing = [c for c in marts[mart] if f"`{c}`" not in sections[mart]]
        assert not missing, f"{mart}: undocumented columns {missing}"
