"""Pure ASTCT 2019 CRS/ICANS and NEWS2 grading (RULES.md sections 2-4).

No project layer, Qt, SQLAlchemy or reportlab is imported here (import-linter enforces it):
the rules can be audited and tested on their own.
"""

from .assessment import grade_assessment, to_json
from .crs import crs_missing, grade_crs, hypotension_threshold_text, suggests_hypotension
from .errors import InputError
from .icans import capd_total, grade_icans, uses_capd
from .inputs import AssessmentInputs, IceItems
from .news2 import score_news2
from .parse import parse_inputs
from .results import CrsResult, GradingResult, IcansResult, News2Result
from .version import RULES_VERSION

__all__ = [
    "RULES_VERSION",
    "AssessmentInputs",
    "CrsResult",
    "GradingResult",
    "IcansResult",
    "IceItems",
    "InputError",
    "News2Result",
    "capd_total",
    "crs_missing",
    "grade_assessment",
    "grade_crs",
    "grade_icans",
    "hypotension_threshold_text",
    "parse_inputs",
    "score_news2",
    "suggests_hypotension",
    "to_json",
    "uses_capd",
]
