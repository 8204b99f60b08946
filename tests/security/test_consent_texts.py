"""A consent text a customer agreed to is read-only in the admin (publish a new version), and every
save of a consent text is audited (registration/services/consent.py, consent_text_save)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from registration import services
from registration.errors import Conflict
from registration.models import AuditEvent, ConsentText
from registration.state_machine import SessionState
from tests import factories
from tests.factories import UserFactory

from .report import record_access

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def _form(text: ConsentText, **changes: Any) -> dict[str, Any]:
    fields = {"version": text.version, "kind": text.kind, "language": text.language, "title": text.title,
              "body": text.body, "is_current": "on" if text.is_current else ""}  # fmt: skip
    return {**fields, **changes}


@pytest.fixture
def superuser(db: None) -> Any:
    user: Any = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    user.client = client
    return user


def test_a_text_customers_agreed_to_cannot_be_edited_in_place(clerk: Any, superuser: Any) -> None:
    session = factories.make_session(clerk=clerk, state=SessionState.CONSENTED)
    used = session.consents.get().consent_text
    original = (used.title, used.body)
    url = reverse("admin:registration_consenttext_change", args=[used.pk])
    response = superuser.client.post(url, _form(used, body="You agree to anything.", title="Changed"))
    used.refresh_from_db()
    record_access("admin consenttext change (used text)", "right user", expected="unchanged",
                  got="unchanged" if (used.title, used.body) == original else "edited")  # fmt: skip
    assert (used.title, used.body) == original
    assert response.status_code in (200, 302)
    used.body = "You agree to anything."
    with pytest.raises(Conflict):  # the rule is the service's, not only the form's
        services.consent_text_save(actor=superuser, text=used, changed=["body"], created=False)
    used.refresh_from_db()
    assert used.body == original[1]


def test_an_unused_text_can_be_edited_and_every_save_is_audited(superuser: Any) -> None:
    draft = ConsentText.objects.create(version="99", kind="face_processing", language="en", title="Draft", body="b")
    url = reverse("admin:registration_consenttext_change", args=[draft.pk])
    response = superuser.client.post(url, _form(draft, body="Final wording."))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.body == "Final wording."
    event = AuditEvent.objects.get(action="consent_text.changed", object_id=str(draft.pk))
    assert event.actor_id == superuser.pk
    assert event.details["changed"] == ["body"]
