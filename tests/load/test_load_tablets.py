"""A short run of the simulated-tablet load generator (bench/load/) against the real ASGI
server and a real Celery worker, with the production random plan and the prompt-following customer
(bench/actors/customer.py) as every tablet's camera: every session ends in a decision or a clean
failure, and beyond SHIMING_MAX_CAPTURE_SESSIONS (1 here) a tablet is told "busy, retry" and its
session is untouched. The server and worker run at the e2e suite's 20-degree turn threshold
(`subprocess_env`: the footage turns only ~23-25 real degrees, under the default 25)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.actors.customer import STEPS
from bench.load.camera import make_document_card
from bench.load.tablet import Load, RunPlan, SessionResult, run_tablets
from tests.e2e.conftest import Server, running_daphne

pytestmark = [pytest.mark.load, pytest.mark.worker]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
CLEAN_ENDS = {"decided", "liveness_failed"}


@pytest.fixture(scope="module")
def one_slot_server(
    e2e_tools: None, subprocess_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Daphne allowed one capture at a time, with the session-create limits out of the way."""
    env = {
        **subprocess_env,
        "SHIMING_MAX_CAPTURE_SESSIONS": "1",
        "THROTTLE_SESSION_CREATE": "1000/min",
        "THROTTLE_OUTLET_SESSION_CREATE": "1000/min",
        "THROTTLE_DOCUMENT_UPLOAD": "1000/min",
    }
    with running_daphne(env, tmp_path_factory.mktemp("load-server") / "daphne.log") as server:
        yield server


@pytest.fixture(scope="module")
def tablet_load(testdata: Path) -> Load:
    with tempfile.TemporaryDirectory() as scratch:
        card = make_document_card(Path(scratch))
    return Load(card, "", PASSWORD, seed=15, busy_retries=8, busy_pause_s=2.0, decision_timeout_s=120.0)


@pytest.fixture
def load_clerk(reseed_after_flush: None, transactional_db: None, celery_worker_process: Path) -> Any:
    """A clerk of its own outlet, committed so the server and the worker see it; the worker is up."""
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    return UserFactory(role=CLERK, outlet=OutletFactory(name="Load outlet"))


def test_three_tablets_on_a_one_capture_server_decide_or_are_told_to_retry(
    one_slot_server: Server, load_clerk: Any, tablet_load: Load
) -> None:
    tablet_load.username = load_clerk.username
    plan = RunPlan(urls=[one_slot_server.url], tablets=3, sessions=4, rate=0.0, max_seconds=300)

    results, wall = asyncio.run(run_tablets(plan, tablet_load))

    print(f"\n{len(results)} sessions in {wall:.0f} s: {[(r.outcome, r.reason, r.busy_refusals) for r in results]}")
    assert len(results) == 4
    assert all(result.index >= 0 for result in results), results  # every tablet signed in
    _assert_clean(results)
    # The server's random plan as its prompts revealed it (every drawn plan mixes a blink and a
    # turn), followed by the customer to the end where the session was decided.
    plans = [result.plan for result in results if result.outcome == "decided"]
    assert plans
    assert all(set(plan) <= set(STEPS) and "blink" in plan and set(plan) - {"blink"} for plan in plans), plans
    assert sum(result.busy_refusals for result in results) >= 1  # 3 tablets, 1 slot: someone waited
    assert all(result.busy_clean for result in results)  # a refused attempt left its session untouched
    assert sum(result.outcome in CLEAN_ENDS for result in results) >= 2
    log = one_slot_server.log_text()
    assert "Traceback" not in log, log[-3000:]


def _assert_clean(results: list[SessionResult]) -> None:
    """Every session decided, or failed cleanly: never left in the middle of the challenge."""
    for result in results:
        if result.outcome not in CLEAN_ENDS:  # the only clean failure here: gave up waiting for a slot
            assert (result.reason, result.state) == ("busy_retry_exhausted", "cancelled"), result
        assert result.state not in {"liveness_running", "liveness_passed", "matching"}, result
        if result.outcome in CLEAN_ENDS:
            assert result.state == result.reason, result
            assert result.frames_analysed, result
