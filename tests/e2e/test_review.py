"""The supervisor's review page in Chromium, at both tablet sizes: both faces,
the distance on its bar, a reason required, a confirmation, then the next case."""

from __future__ import annotations

from typing import Any

import pytest

from registration import services
from registration.models import EvidenceKind, VerificationSession
from registration.roles import SUPERVISOR
from registration.state_machine import SessionState
from tests.e2e.conftest import BrowserFactory, Screens, Server
from tests.e2e.test_capture_flow import off_loop, prepared_session, sign_in, state_of

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def staff(reseed_after_flush: None, transactional_db: None, live_server_process: Server) -> dict[str, Any]:
    from registration.roles import CLERK
    from tests.capture.dbseed import seed_reference_rows
    from tests.factories import OutletFactory, UserFactory

    seed_reference_rows()
    outlet = OutletFactory(name="E2E outlet")
    return {
        "clerk": UserFactory(role=CLERK, outlet=outlet),
        "supervisor": UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True),
        "password": "correct horse battery",
    }


def waiting_case(clerk: Any, portrait: bytes) -> VerificationSession:
    session = prepared_session(clerk, portrait)

    def to_review() -> None:
        services.evidence_store(
            session=session, kind=EvidenceKind.LIVE_FRAME, content=portrait, content_type="image/jpeg"
        )
        VerificationSession.objects.filter(pk=session.pk).update(
            state=SessionState.MANUAL_REVIEW,
            attempt_count=1,
            liveness_passed=True,
            match_distance=0.7,
            match_detail={"accept_threshold": 0.65, "reject_threshold": 0.75},
            decision_reasons=["distance_between_thresholds"],
        )

    off_loop(to_review)
    return session


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}])
def test_a_supervisor_reviews_a_case_and_moves_to_the_next(
    live_server_process: Server,
    staff: dict[str, Any],
    launch_browser: BrowserFactory,
    same_person_card: Any,
    screens: Screens,
    viewport: dict[str, int],
) -> None:
    from tests.e2e.test_capture_flow import portrait_from_card

    portrait = portrait_from_card(same_person_card)
    first, second = waiting_case(staff["clerk"], portrait), waiting_case(staff["clerk"], portrait)
    page = launch_browser(None).new_page(viewport=viewport, locale="zh-CN")
    sign_in(page, live_server_process, staff["supervisor"].username, staff["password"])
    page.goto(f"{live_server_process.url}/review/")
    page.wait_for_url(f"**/review/{first.pk}/")
    screens.shot(page, f"review-{viewport['width']}x{viewport['height']}")

    faces = [page.query_selector(f"#review-{name}").bounding_box() for name in ("portrait", "live")]
    assert abs(faces[0]["y"] - faces[1]["y"]) < 5  # side by side
    assert "不确定" in page.inner_text("#band-words")

    page.check("input[value=approved]")
    page.click("#decision-form button[type=submit]")
    assert page.is_visible("#decision-error")  # no reason: refused before anything is sent
    page.fill("textarea[name=note]", "证件照较旧，五官一致")
    page.click("#decision-form button[type=submit]")
    page.wait_for_selector("#confirm[open]")
    screens.shot(page, "review-confirm")
    page.click("#confirm-yes")
    page.wait_for_url(f"**/review/{second.pk}/")

    decided = state_of(first.pk)
    assert (decided.state, decided.decision_note) == (SessionState.APPROVED, "证件照较旧，五官一致")
