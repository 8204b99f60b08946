"""No dead ends and no vague refusals, as the server renders and answers them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from registration.models import Subscriber, VerificationSession
from registration.state_machine import SessionState
from tests.factories import make_phone, make_prc_id


def test_a_name_longer_than_the_record_is_refused_not_cut(signed_in: Client) -> None:
    limit = Subscriber._meta.get_field("full_name").max_length
    assert limit is not None
    html = signed_in.get("/register/").content.decode()
    name_input = re.search(r'<input name="full_name"[^>]*>', html)
    response = signed_in.post(
        "/api/sessions/",
        {
            "full_name": "欧" * (limit + 1),
            "document_type": "prc_id",
            "document_number": make_prc_id(),
            "phone_number": make_phone(),
        },
        content_type="application/json",
    )

    assert name_input is not None
    assert "maxlength" not in name_input.group(0)  # the browser would cut a pasted name without a word
    assert f'data-max-length="{limit}"' in name_input.group(0)
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["full_name"]
    assert not Subscriber.objects.exists()


def test_the_register_page_knows_the_open_states_for_the_phone_warning(signed_in: Client) -> None:
    html = signed_in.get("/register/").content.decode()

    states = re.search(r'<script id="open-states" type="application/json">(.*?)</script>', html)
    assert states is not None
    assert '"created"' in states.group(1)
    assert '"approved"' not in states.group(1)
    assert 'id="open-sessions"' in html


def test_the_document_page_says_the_size_limit(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    html = signed_in.get(f"/sessions/{make_session().pk}/document/").content.decode()

    assert "照片不超过 8 MB。" in html


def test_the_capture_page_can_hand_over_to_the_check_by_hand(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(SessionState.CONSENTED, portrait=b"-")
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()

    assert 'id="by-hand"' in html
    assert f'data-alternative-url="/api/sessions/{session.pk}/alternative/"' in html
    assert f'data-alternative-next="/sessions/{session.pk}/alternative/"' in html
    assert "csrfmiddlewaretoken" in html


def test_the_check_by_hand_is_open_from_the_capture_page_states(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    for state in (SessionState.CONSENTED, SessionState.LIVENESS_FAILED):
        session = make_session(state, portrait=b"-")
        response = signed_in.post(
            f"/api/sessions/{session.pk}/alternative/",
            {"reason": "camera_unavailable"},
            content_type="application/json",
        )

        assert response.status_code == 200, response.json()
        session.refresh_from_db()
        assert session.state == SessionState.MANUAL_REVIEW
