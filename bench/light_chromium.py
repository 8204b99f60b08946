"""The screen-light step in a real browser, counted: N screen-lit and N untinted customers in
Chromium, each a fresh session with the light policy on, the production random plan, the real
server, worker and services (tests/e2e/test_light.py run N times each).

    .venv/bin/python bench/light_chromium.py [--runs 20]

Prints how many first attempts passed the light step, lit and untinted (the target of issue 28:
at least 19 of 20 lit, 0 of 20 untinted), the reasons of the failed ones, the machine's load
before and after, and the time taken. Needs what the e2e tests need (Chromium, PostgreSQL, Redis,
the test data). Not a test.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"LIGHT-RUN (\w+) light_step=(\w+) reasons=(.*)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each customer (lit and untinted)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    load_before, started = os.getloadavg()[0], time.monotonic()
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/e2e/test_light.py"]
    env = {**os.environ, "SHIMING_LIGHT_RUNS": str(args.runs)}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    reasons: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for match in LINE.finditer(result.stdout):
        kind, outcome, why = match.groups()
        counts[kind][outcome] += 1
        if outcome == "failed":
            reasons[kind][why] += 1
    print(f"light step in Chromium, {args.runs} runs of each customer ({time.monotonic() - started:.0f} s)")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")
    for kind in ("lit", "untinted"):
        runs = sum(counts[kind].values())
        print(f"{kind:<9} light step passed on the first attempt: {counts[kind]['passed']} of {runs}")
        for why, count in reasons[kind].most_common():
            print(f"          failed {count}x: {why}")
    summary = result.stdout.strip().splitlines()[-1:] or [result.stderr.strip()[-300:]]
    print(f"pytest: {summary[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
