"""Pure ASTCT 2019 CRS/ICANS and NEWS2 grading (RULES.md sections 2-4).

No project layer, Qt, SQLAlchemy or reportlab is imported here (import-linter enforces it):
the rules can be audited and tested on their own.
"""
