"""`python -m app` / `carward`: the ward application and its scriptable commands."""

from __future__ import annotations

import sys

from app.cli import main as _main


def main() -> None:
    sys.exit(_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
