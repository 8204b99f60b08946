"""The admin in Simplified Chinese for supervisors: models, fields, states,
actions and messages translated; the queue readable at tablet width (no sidebar)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from registration import services
from registration.models import VerificationSession
from registration.state_machine import SessionState

pytestmark = pytest.mark.django_db

ENGLISH_LEFTOVERS = ["Audit event", "Manual review queue", "manual review", "Verification session", "Live frame"]


def _client(user: Any) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_admin_index_names_every_model_in_chinese(supervisor: Any) -> None:
    text = _visible_text(_client(supervisor).get("/admin/").content.decode())

    for name in ("实名 Shiming 管理", "人工审核队列", "审计日志", "核验会话", "数据主体（证件）"):
        assert name in text, name
    for english in ENGLISH_LEFTOVERS:
        assert english not in text, english


def test_the_queue_and_a_session_speak_chinese_states_and_fields(
    supervisor: Any, clerk: Any, make_session: Any
) -> None:
    waiting = services.session_request_alternative(
        session_id=make_session(SessionState.DOCUMENT_CAPTURED).pk, actor=clerk, reason="no consent"
    )
    client = _client(supervisor)

    queue = _visible_text(client.get("/admin/registration/manualreviewsession/").content.decode())
    detail = _visible_text(client.get(f"/admin/registration/verificationsession/{waiting.pk}/change/").content.decode())
    sessions = _visible_text(client.get("/admin/registration/verificationsession/").content.decode())

    assert "选择 待审核案件 来查看" in queue or "待审核案件" in queue
    assert "manual review" not in queue
    assert "审核" in queue
    assert "人工审核" in sessions  # the state, in the list and its filter
    for label in ("状态", "营业员", "人脸距离", "尝试次数", "过期时间"):
        assert label in detail, label
    assert "Manual review" not in detail


def test_every_state_and_choice_has_a_chinese_label() -> None:
    with translation.override("zh-hans"):
        states = {str(state.label) for state in SessionState}
        kinds = {str(field.verbose_name) for field in VerificationSession._meta.fields}

    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in states), states
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in kinds), kinds


def test_the_admin_has_no_sidebar_so_the_queue_fits_a_tablet(supervisor: Any) -> None:
    html = _client(supervisor).get("/admin/registration/manualreviewsession/").content.decode()

    assert 'id="nav-sidebar"' not in html
