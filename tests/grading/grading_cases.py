"""The worked cases of ../shared/clinical/cases.jsonl, read in place (never copied)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The repository is cloned beside shared/: <workplace>/<repo>/tests/grading/this_file.
CASES_PATH = Path(__file__).resolve().parents[3] / "shared" / "clinical" / "cases.jsonl"


def load_cases() -> list[dict[str, Any]]:
    if not CASES_PATH.is_file():
        raise FileNotFoundError(
            f"cases.jsonl not found at {CASES_PATH}: the repository must be cloned beside "
            "shared/ (shared/clinical/cases.jsonl), as CI and the developers' machines have it"
        )
    cases = [
        json.loads(line)
        for line in CASES_PATH.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if not cases:
        raise ValueError(f"{CASES_PATH} holds no cases")
    return cases
