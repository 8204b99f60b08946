"""Honest customers bench: the share of prompt-following customers who pass within the product's
attempts, over random plans at the product's default `LivenessConfig` (engine level, no browser).

    .venv/bin/python bench/honest_customers.py [--plans 100] [--attempts 3] [--seed 28] [--footage CLIP]

For every footage of `bench/actors/customer.py` (every shared clip cut into a customer: a blink
and turns both ways), `--plans` customers, each with its own reaction delays, meet a random plan
(`liveness.draw_plan`, random hold-still gaps) through a live `LivenessSession` and the face
mesh; a failed attempt gets a new plan, up to `--attempts` (the product's
`SHIMING_MAX_LIVENESS_ATTEMPTS`, 3). Prints per footage how many passed at the first attempt and
within the attempts, and the reason codes of every failed attempt. Not a test
(`tests/liveness/test_honest_customers.py` holds a bound on fewer plans).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# First on the path, before this script's folder: bench/liveness.py would shadow the engine.
sys.path.insert(0, str(PROJECT_ROOT))

from bench.actors.customer import FOOTAGES, Customer, Footage, perform  # noqa: E402
from liveness import ChallengePlan, LivenessConfig, draw_plan  # noqa: E402
from liveness.extractor import LandmarkExtractor  # noqa: E402
from liveness.steps import draw_gaps  # noqa: E402

PRODUCT_ATTEMPTS = 3  # config/settings/base.py SHIMING_MAX_LIVENESS_ATTEMPTS (the bench imports no Django)


@dataclass
class Tally:
    """What the customers of one footage did."""

    customers: int = 0
    first_attempt: int = 0
    within_attempts: int = 0
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    failed_plans: list[str] = field(default_factory=list)


def one_customer(
    rng: random.Random, source: Footage, config: LivenessConfig, extractor: LandmarkExtractor, attempts: int
) -> tuple[int | None, list[tuple[str, str]]]:
    """The attempt (1-based) at which one customer passed (None: never), and every failed
    attempt's plan and reason codes."""
    failed: list[tuple[str, str]] = []
    previous: ChallengePlan | None = None
    for attempt in range(1, attempts + 1):
        plan = draw_plan(rng, step_count=config.step_count, previous=previous)
        plan = plan.with_gaps(draw_gaps(rng, config.step_count, config))
        customer = Customer(random.Random(rng.randrange(2**32)), source=source)
        verdict = perform(customer, plan, config, extractor).result().verdict
        if verdict.passed:
            return attempt, failed
        codes = ",".join(step.value for step in plan.steps)
        failed.append((codes, "+".join(reason.value for reason in verdict.reasons) or "none"))
        previous = plan
    return None, failed


def measure(source: Footage, plans: int, attempts: int, seed: int, extractor: LandmarkExtractor) -> Tally:
    config = LivenessConfig()
    rng = random.Random(f"{seed}:{source.clip}")
    tally = Tally()
    for _ in range(plans):
        passed_at, failed = one_customer(rng, source, config, extractor, attempts)
        tally.customers += 1
        tally.attempts += len(failed) + (passed_at is not None)
        tally.first_attempt += passed_at == 1
        tally.within_attempts += passed_at is not None
        for codes, reasons in failed:
            tally.failures[reasons] += 1
            tally.failed_plans.append(f"{codes} -> {reasons}")
    return tally


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=int, default=100, help="customers (each a random plan) per footage")
    parser.add_argument("--attempts", type=int, default=PRODUCT_ATTEMPTS)
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument(
        "--footage", choices=[source.clip for source in FOOTAGES], action="append", help="only these (default: all)"
    )
    args = parser.parse_args(argv)
    config = LivenessConfig()
    print(f"default LivenessConfig: turn {config.turn_yaw_degrees:g} degrees, {config.step_count} steps")
    print(f"{args.plans} customers per footage, up to {args.attempts} attempts each, seed {args.seed}")
    with LandmarkExtractor(config) as extractor:
        for source in [source for source in FOOTAGES if not args.footage or source.clip in args.footage]:
            began = time.monotonic()
            tally = measure(source, args.plans, args.attempts, args.seed, extractor)
            print(
                f"\n{source.clip}: passed at the first attempt {tally.first_attempt}/{tally.customers}, "
                f"within {args.attempts} attempts {tally.within_attempts}/{tally.customers} "
                f"({tally.attempts} attempts, {time.monotonic() - began:.0f} s)"
            )
            for reasons, count in tally.failures.most_common():
                print(f"  failed attempts {count:3d}  {reasons}")
            for line in tally.failed_plans[:10]:
                print(f"    e.g. {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
