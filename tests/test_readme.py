"""The README's tables are generated from the code they describe, so they cannot drift."""

from __future__ import annotations

from pathlib import Path

from grading.limits import limits_markdown

README = Path(__file__).parents[1] / "README.md"


def test_readme_limits_table_is_the_one_limits_table() -> None:
    assert limits_markdown().strip() in README.read_text(encoding="utf-8")


def test_readme_shows_the_two_set_up_commands_first() -> None:
    text = README.read_text(encoding="utf-8")
    setup = text.index("## Set-up on a fresh machine")
    assert text.index("make run", setup) < text.index("## Contents")
    assert text.index("make test", setup) < text.index("## Contents")
