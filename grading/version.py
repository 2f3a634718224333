"""The rules version recorded with every result (RULES.md is the binding text it names)."""

from __future__ import annotations

# ASTCT 2019 consensus (CRS, ICANS), RCP NEWS2 2017, and the project's reading of them in
# shared/clinical/RULES.md. Bump the suffix whenever a grading rule or its reading changes.
RULES_VERSION = "ASTCT2019+NEWS2-2017/rules-1"
