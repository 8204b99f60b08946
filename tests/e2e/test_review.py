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
from tests.factories import SPECIMEN_PASSPORT, make_phone

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
    """A chip-read case in manual review, its live frame the chip's `portrait` (no page photo)."""
    session = prepared_session(clerk, portrait)
    off_loop(_to_review, session, portrait)
    return session


def waiting_case_with_its_page(clerk: Any, page_photo: bytes, live_frame: bytes) -> VerificationSession:
    """A case in manual review whose clerk photographed the document page (`page_photo`, a specimen
    whose MRZ says `SPECIMEN_PASSPORT`): the upload's own service checks it, binds the typed identity
    by the MRZ and stores the page and its portrait crop, encrypted, as at the outlet."""

    def photographed() -> VerificationSession:
        session = services.registration_create(
            clerk=clerk, full_name="测试 客户", phone_number=make_phone(), **SPECIMEN_PASSPORT
        )
        services.document_upload(session_id=session.pk, actor=clerk, data=page_photo, source="photo")
        services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
        _to_review(session, live_frame)
        return session

    return off_loop(photographed)


def _to_review(session: VerificationSession, live_frame: bytes) -> None:
    services.evidence_store(
        session=session, kind=EvidenceKind.LIVE_FRAME, content=live_frame, content_type="image/jpeg"
    )
    VerificationSession.objects.filter(pk=session.pk).update(
        state=SessionState.MANUAL_REVIEW,
        attempt_count=1,
        liveness_passed=True,
        match_distance=0.7,
        match_detail={"accept_threshold": 0.65, "reject_threshold": 0.75},
        decision_reasons=["distance_between_thresholds"],
    )


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
    page.wait_for_url(f"**/review/{second.pk}/?decided={first.pk}")  # the next case confirms this one

    decided = state_of(first.pk)
    assert (decided.state, decided.decision_note) == (SessionState.APPROVED, "证件照较旧，五官一致")


def test_a_supervisor_finds_the_queue_decides_with_the_full_number_and_sees_it_saved(
    live_server_process: Server, staff: dict[str, Any], launch_browser: BrowserFactory, screens: Screens
) -> None:
    """Issue 32: the queue could only be found in the admin; the review showed the masked number the
    supervisor must compare with the card in hand; a decision moved on with no confirmation."""
    from registration.models import AuditEvent
    from registration.services.documents import typed_identity

    first, second = waiting_case(staff["clerk"], b"\xff\xd8"), waiting_case(staff["clerk"], b"\xff\xd8")
    page = launch_browser(None).new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    sign_in(page, live_server_process, staff["supervisor"].username, staff["password"])
    page.goto(f"{live_server_process.url}/dashboard/")
    assert page.get_attribute("#review-waiting", "data-waiting") == "2"
    screens.shot(page, "dashboard-review-queue")
    page.click("#next-review")
    page.wait_for_url(f"**/review/{first.pk}/")

    number = off_loop(lambda: typed_identity(first.pk).number)
    assert page.inner_text("#document-number") == number  # the whole number, not the masked one
    viewed = off_loop(
        lambda: AuditEvent.objects.filter(object_id=str(first.pk), action="document.number_viewed").count()
    )
    assert viewed == 1
    page.check("input[value=rejected]")
    page.fill("textarea[name=note]", "证件号码与证件不符")
    page.click("#decision-form button[type=submit]")
    page.click("#confirm-yes")
    page.wait_for_url(f"**/review/{second.pk}/**")
    screens.shot(page, "review-decision-saved")
    assert "测试 客户" in page.inner_text("#decision-done")
    assert state_of(first.pk).state == SessionState.REJECTED


def test_the_four_eyes_rule_is_shown_before_the_supervisor_starts(
    live_server_process: Server, staff: dict[str, Any], launch_browser: BrowserFactory, screens: Screens
) -> None:
    """Issue 32: a supervisor who opened the registration learnt of the four-eyes rule only after
    writing the whole decision."""
    own = waiting_case(staff["supervisor"], b"\xff\xd8")
    page = launch_browser(None).new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    sign_in(page, live_server_process, staff["supervisor"].username, staff["password"])
    page.goto(f"{live_server_process.url}/review/{own.pk}/")
    screens.shot(page, "review-four-eyes")

    assert "另一位主管" in page.inner_text("#four-eyes")
    assert page.query_selector("#decision-form") is None
    masked = off_loop(lambda: VerificationSession.objects.get(pk=own.pk).subscriber.document.number_masked)
    assert page.inner_text("#document-number") == masked  # not theirs to decide: no full number either
