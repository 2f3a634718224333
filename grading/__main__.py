"""`python -m grading < in.jsonl > out.jsonl` (RULES §6)."""

from __future__ import annotations

import sys

from .cli import run


def main() -> int:
    return run(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
