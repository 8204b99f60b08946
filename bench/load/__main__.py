"""`python -m bench.load`: the load generator's command line (bench/load/cli.py)."""

import sys

from bench.load.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
