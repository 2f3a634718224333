"""The README's data dictionary is the export's column list, not a copy that can drift."""

from __future__ import annotations

from pathlib import Path

from app.reports.registry_export import data_dictionary_markdown

README = Path(__file__).parents[2] / "README.md"


def test_readme_data_dictionary_matches_export_columns() -> None:
    assert data_dictionary_markdown() in README.read_text(encoding="utf-8")
