"""The load generator's command as the docs give it: `.venv/bin/python bench/load_tablets.py ...`
runs `python -m bench.load ...` (the package bench/load/)."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.load.cli import main  # noqa: E402 - after the project is on the path

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
