"""Card readers in the admin: an admin enrols one by its agent's public key and revokes it, both
audited; the chip reads, accepted or refused with the reason, are listed for the outlet's
supervisors; the pages read in Simplified Chinese and in English."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from django.utils import timezone

from registration.models import AuditEvent, CardReader, ChipRead, ChipRegistration, Outlet
from registration.reader_protocol import public_key_hex
from registration.roles import ADMIN
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def test_an_admin_enrols_and_revokes_a_reader_audited(outlet: Outlet) -> None:
    admin_user = make_staff(ADMIN, outlet=None, is_staff=True, is_superuser=True)
    client = _client(admin_user, "en")
    key = public_key_hex(Ed25519PrivateKey.generate())
    added = client.post(
        "/admin/registration/cardreader/add/", {"outlet": outlet.pk, "name": "counter 1", "public_key": key}
    )
    assert added.status_code == 302, added.content[:500]
    reader = CardReader.objects.get(public_key=key)
    assert AuditEvent.objects.filter(action="card_reader.enrolled", object_id=str(reader.pk), actor=admin_user).exists()
    client.post("/admin/registration/cardreader/", {"action": "revoke_readers", "_selected_action": [reader.pk]})
    reader.refresh_from_db()
    assert reader.revoked_at is not None
    assert AuditEvent.objects.filter(action="card_reader.revoked", object_id=str(reader.pk)).exists()


def test_a_key_that_is_not_ed25519_is_refused(outlet: Outlet) -> None:
    client = _client(UserFactory(role=ADMIN, is_staff=True, is_superuser=True), "en")
    response = client.post(
        "/admin/registration/cardreader/add/", {"outlet": outlet.pk, "name": "x", "public_key": "zz" * 32}
    )
    assert response.status_code in (200, 400)
    assert not CardReader.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ("芯片读取记录", "拒绝原因", "读卡器", "读卡器的签名验证失败。")),
        ("en", ("chip reads", "why refused", "reader", "The card reader&#x27;s signature does not verify.")),
    ],
)
def test_the_chip_reads_page_lists_refusals_in_both_languages(
    supervisor: Any, outlet: Outlet, language: str, words: tuple[str, ...]
) -> None:
    reader = CardReader.objects.create(outlet=outlet, name="counter 1", public_key="00" * 32)
    ChipRead.objects.create(reader=reader, accepted=False, refusal_reason="reader_signature_invalid")
    html = _client(supervisor, language).get("/admin/registration/chipread/").content.decode()
    assert "reader_signature_invalid" in html
    for word in words:
        assert word.lower() in html.lower(), word


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ("芯片读取登记请求", "结果", "无法读取证件芯片：将由主管审核。", "读卡器给出的原因")),
        ("en", ("chip registration requests", "outcome", "chip could not be read", "reader&#x27;s reason")),
    ],
)
def test_the_registration_pages_chip_reads_are_listed_in_both_languages(
    supervisor: Any, clerk: Any, outlet: Outlet, language: str, words: tuple[str, ...]
) -> None:
    """A supervisor sees which chip reads of the registration page opened nothing, and why; never the
    phone number the request held."""
    ChipRegistration.objects.create(
        outlet=outlet,
        clerk=clerk,
        phone_number="+8613800138000",
        expires_at=timezone.now(),
        outcome="chip_unreadable",
        reader_reason="no card",
    )
    html = _client(supervisor, language).get("/admin/registration/chipregistration/").content.decode()
    for word in words:
        assert word.lower() in html.lower(), word
    assert "13800138000" not in html
