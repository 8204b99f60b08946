"""The supervisor's review page: both faces (each view audited), the distance
against the thresholds the match ran with, the liveness summary, the document data (the whole page
photographed and the full number, for the supervisor who may decide, audited), a decision with a
required reason, and the next case; the admin's bulk decision is gone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from django.test import Client

from frontend.review import distance_band
from registration import services
from registration.audit import audit
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationSession
from registration.roles import SUPERVISOR
from registration.services.documents import typed_identity
from registration.state_machine import SessionState
from tests.factories import UserFactory


@pytest.fixture
def supervisor_client(outlet: Any) -> Client:
    supervisor: Any = UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True)
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def review_case(make_session: Callable[..., VerificationSession]) -> Callable[..., VerificationSession]:
    def build(distance: float | None = 0.70, band: str = "manual_review") -> VerificationSession:
        session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"\xff\xd8portrait")
        services.evidence_store(
            session=session, kind=EvidenceKind.LIVE_FRAME, content=b"\xff\xd8live", content_type="image/jpeg"
        )
        VerificationSession.objects.filter(pk=session.pk).update(
            state=SessionState.MANUAL_REVIEW,
            attempt_count=1,
            liveness_passed=True,
            liveness_reasons=[],
            liveness_detail={"verdict": {"steps": [{"step": "blink", "passed": True, "duration": 1.32}]}},
            match_distance=distance,
            match_detail={"accept_threshold": 0.6, "reject_threshold": 0.8, "band": band},
            decision_reasons=["face_score_in_review_band"],
        )
        session.refresh_from_db()
        return session

    return build


def test_the_band_is_the_one_the_worker_stored_with_the_thresholds_it_ran_with(
    review_case: Callable[..., Any],
) -> None:
    between, close, far = review_case(0.7), review_case(0.6, "approve"), review_case(0.95, "reject")

    bands = [distance_band(case) for case in (between, close, far)]

    assert [band.band for band in bands if band] == ["review", "approve", "reject"]
    band = bands[0]
    assert band is not None
    assert (band.accept, band.reject) == (0.6, 0.8)
    assert band.accept_x < band.marker_x < band.reject_x


def test_the_review_screen_decides_no_band_of_its_own(review_case: Callable[..., Any]) -> None:
    """A score the thresholds would place elsewhere still shows the band the worker decided."""
    shown = distance_band(review_case(0.2, "manual_review"))

    assert shown is not None
    assert shown.band == "review"


def test_a_similarity_is_drawn_close_on_the_left(review_case: Callable[..., Any]) -> None:
    case = review_case(0.9, "approve")
    VerificationSession.objects.filter(pk=case.pk).update(
        match_detail={"accept_threshold": 0.56, "reject_threshold": 0.14, "band": "approve", "higher_is_closer": True}
    )
    case.refresh_from_db()

    shown = distance_band(case)

    assert shown is not None
    assert shown.higher_is_closer
    assert shown.marker_x < shown.accept_x < shown.reject_x


def test_the_review_page_shows_both_faces_the_distance_and_the_case(
    supervisor_client: Client, review_case: Callable[..., Any]
) -> None:
    case = review_case()

    html = supervisor_client.get(f"/review/{case.pk}/").content.decode()

    assert f'src="/review/{case.pk}/portrait.jpg"' in html
    assert f'src="/review/{case.pk}/live.jpg"' in html
    assert "不确定：介于通过与拒绝阈值之间。" in html
    assert "0.700" in html
    assert 'class="distance-bar"' in html
    # the full number, to hold against the card in hand (audited: tests/e2e/test_review.py)
    assert typed_identity(case.pk).number in html
    assert 'data-step="blink"' in html
    assert 'id="decision-form"' in html
    assert 'name="note"' in html


def test_each_face_shown_is_audited(supervisor_client: Client, review_case: Callable[..., Any]) -> None:
    case = review_case()

    portrait = supervisor_client.get(f"/review/{case.pk}/portrait.jpg")
    live = supervisor_client.get(f"/review/{case.pk}/live.jpg")

    assert (portrait.content, live.content) == (b"\xff\xd8portrait", b"\xff\xd8live")
    assert portrait["Cache-Control"] == "no-store, private"
    views = AuditEvent.objects.filter(object_id=str(case.pk), action="evidence.viewed")
    assert sorted(event.details["kind"] for event in views) == ["id_portrait", "live_frame"]
    assert {event.details["purpose"] for event in views} == {"supervisor_review"}


def test_a_clerk_cannot_review(signed_in: Client, review_case: Callable[..., Any]) -> None:
    case = review_case()

    assert signed_in.get(f"/review/{case.pk}/").status_code == 403
    assert signed_in.get(f"/review/{case.pk}/portrait.jpg").status_code == 403
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()


def test_the_queue_leads_from_case_to_case_oldest_first(
    supervisor_client: Client, review_case: Callable[..., Any]
) -> None:
    first, second = review_case(), review_case()

    assert supervisor_client.get("/review/")["Location"] == f"/review/{first.pk}/"
    assert supervisor_client.get(f"/review/?after={first.pk}")["Location"] == f"/review/{second.pk}/"
    html = supervisor_client.get(f"/review/{first.pk}/").content.decode()
    assert f'href="/review/?after={first.pk}"' in html


def test_a_decision_needs_a_reason(supervisor_client: Client, review_case: Callable[..., Any]) -> None:
    case = review_case()
    url = f"/api/sessions/{case.pk}/decision/"

    refused = supervisor_client.post(url, {"decision": "approved", "note": " "}, content_type="application/json")
    decided = supervisor_client.post(
        url, {"decision": "approved", "note": "same person, photo is old"}, content_type="application/json"
    )

    assert refused.status_code == 400
    assert decided.status_code == 200
    case.refresh_from_db()
    assert (case.state, case.decision_note) == (SessionState.APPROVED, "same person, photo is old")


def test_the_admin_queue_links_to_the_review_and_has_no_bulk_decision(
    supervisor_client: Client, review_case: Callable[..., Any]
) -> None:
    case = review_case()

    html = supervisor_client.get("/admin/registration/manualreviewsession/").content.decode()

    assert f'href="/review/{case.pk}/"' in html
    assert "approve_sessions" not in html
    assert not re.search(r'name="action"', html)


def test_the_review_title_reads_as_chinese_with_a_full_width_colon(
    supervisor_client: Client, review_case: Callable[..., Any]
) -> None:
    """Issue 32's screenshots: the title was "审核: 测试 客户", an English colon in a Chinese line."""
    case = review_case()

    html = supervisor_client.get(f"/review/{case.pk}/").content.decode()
    english = supervisor_client.get(f"/review/{case.pk}/", headers={"accept-language": "en"}).content.decode()

    assert f"<h1>审核：{case.subscriber.full_name} <span" in html
    assert f"<h1>Review: {case.subscriber.full_name} <span" in english


# --- the check by hand: the whole document page and the full number --------------------------------

PAGE = b"\xff\xd8the whole page"


@pytest.fixture
def by_hand_case(make_session: Callable[..., VerificationSession], clerk: Any) -> VerificationSession:
    """A customer who refused face processing: the document photographed (its portrait and the whole
    page), no live check, a supervisor checks the document by hand."""
    session = make_session(SessionState.DOCUMENT_CAPTURED, reference_binding="")
    services.evidence_store(session=session, kind=EvidenceKind.DOCUMENT_PHOTO, content=PAGE, content_type="image/jpeg")
    services.session_request_alternative(session_id=session.pk, actor=clerk, reason="declined face processing")
    session.refresh_from_db()
    return session


def test_a_check_by_hand_shows_the_whole_document_and_the_full_number(
    supervisor_client: Client, by_hand_case: VerificationSession
) -> None:
    case = by_hand_case

    html = supervisor_client.get(f"/review/{case.pk}/").content.decode()
    photo = supervisor_client.get(f"/review/{case.pk}/document.jpg")

    image = f'<img id="review-document-photo" src="/review/{case.pk}/document.jpg" alt="营业员拍摄的证件整页照片">'
    assert image in html
    assert f'<dd id="document-number">{typed_identity(case.pk).number}</dd>' in html
    assert photo.status_code == 200
    assert (photo.content, photo["Content-Type"], photo["Cache-Control"]) == (PAGE, "image/jpeg", "no-store, private")
    looks = AuditEvent.objects.filter(object_id=str(case.pk))
    assert [event.details for event in looks.filter(action="evidence.viewed")] == [
        {"kind": "document_photo", "purpose": "supervisor_document_check"}
    ]
    assert looks.filter(action="document.number_viewed").count() == 1


def test_a_case_read_from_the_chip_says_it_has_no_document_photo(
    supervisor_client: Client, review_case: Callable[..., Any]
) -> None:
    case = review_case()  # the portrait from the card's chip: no page was photographed

    html = supervisor_client.get(f"/review/{case.pk}/").content.decode()

    assert '<p class="muted" id="no-document-photo">证件信息读取自芯片：没有证件整页照片。</p>' in html
    assert "document.jpg" not in html
    assert supervisor_client.get(f"/review/{case.pk}/document.jpg").status_code == 404


def test_the_document_photo_is_only_for_a_supervisor_who_may_decide_the_case(
    supervisor_client: Client, signed_in: Client, outlet: Any, by_hand_case: VerificationSession
) -> None:
    case = by_hand_case
    photographer: Any = UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True)
    audit(actor=photographer, action="session.document_captured", target=case, outlet=outlet, details={})
    barred = Client()
    barred.force_login(photographer)  # photographed the document: four eyes, not theirs to decide

    assert signed_in.get(f"/review/{case.pk}/document.jpg").status_code == 403
    assert barred.get(f"/review/{case.pk}/document.jpg").status_code == 404
    assert "document.jpg" not in barred.get(f"/review/{case.pk}/").content.decode()
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()
    assert supervisor_client.get(f"/review/{case.pk}/document.jpg").status_code == 200  # theirs to decide
    decided = supervisor_client.post(
        f"/api/sessions/{case.pk}/decision/", {"decision": "rejected", "note": "not the same card"},
        content_type="application/json",
    )  # fmt: skip
    assert decided.status_code == 200
    assert supervisor_client.get(f"/review/{case.pk}/document.jpg").status_code == 404
    assert "document.jpg" not in supervisor_client.get(f"/review/{case.pk}/").content.decode()


def test_the_document_photo_is_purged_with_the_rest_of_the_evidence(
    supervisor_client: Client, by_hand_case: VerificationSession
) -> None:
    case = by_hand_case
    assert supervisor_client.get(f"/review/{case.pk}/document.jpg").content == PAGE
    supervisor_client.post(
        f"/api/sessions/{case.pk}/decision/", {"decision": "rejected", "note": "not the same card"},
        content_type="application/json",
    )  # fmt: skip
    case.refresh_from_db()
    assert case.evidence_purge_after is not None
    assert Evidence.objects.filter(session=case, kind=EvidenceKind.DOCUMENT_PHOTO).exists()

    with patch("django.utils.timezone.now", return_value=case.evidence_purge_after + timedelta(minutes=1)):
        services.evidence_purge()

    assert not Evidence.objects.filter(session=case).exists()
    purged = AuditEvent.objects.get(object_id=str(case.pk), action="evidence.purged")
    assert EvidenceKind.DOCUMENT_PHOTO in purged.details["kinds"]
