"""The admin shows a supervisor only their own outlet's customers: every admin changelist, search
and action is scoped to the user's outlet (admins excepted), export and erasure check the role in
the service, and their audit rows name each outlet that holds the person. Every registered admin
page is tried here: changelist, search and each action (with "select all") x role x outlet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from registration import services
from registration.errors import Forbidden
from registration.models import AuditEvent, IdentityDocument, VerificationSession
from registration.roles import ADMIN, CLERK, SUPERVISOR
from registration.state_machine import SessionState
from tests import factories
from tests.factories import UserFactory

from .report import record_access
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PHOTO = b"\xff\xd8document-photo"


@dataclass
class Victim:
    """Outlet B's customer, waiting for a supervisor: what outlet A's staff must never see or touch."""

    session: VerificationSession
    secrets: tuple[str, ...]


@pytest.fixture
def victim(other_outlet: Any) -> Victim:
    clerk_b: Any = UserFactory(role=CLERK, outlet=other_outlet)
    session = factories.make_session(
        clerk=clerk_b, state=SessionState.DOCUMENT_CAPTURED, portrait=PHOTO, full_name="受害 人"
    )
    services.session_request_alternative(session_id=session.pk, actor=clerk_b, reason="declined")
    session.refresh_from_db()
    document = session.subscriber.document
    number = services.subject_export(actor=None, identity=document)["document"]["number"]  # the full number
    return Victim(session, (session.subscriber.phone_number, "受害 人", number, document.number_masked))


@pytest.fixture
def staff_of_a(outlet: Any) -> dict[str, Any]:
    return {
        "clerk (staff)": UserFactory(role=CLERK, outlet=outlet, is_staff=True),
        "supervisor": UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True),
    }


@pytest.fixture
def admin_of_a(outlet: Any) -> Any:
    return UserFactory(role=ADMIN, outlet=outlet, is_staff=True)


def _admin_pages() -> list[tuple[str, Any]]:
    return [
        (f"{model._meta.app_label}_{model._meta.model_name}", admin.site.get_model_admin(model))
        for model in apps.get_models()
        if admin.site.is_registered(model)
    ]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _victims_row(model: Any, victim: Victim) -> Any:
    rows = {
        VerificationSession: victim.session.pk,
        IdentityDocument: victim.session.subscriber.document_id,
    }
    for base, pk in rows.items():
        if issubclass(model, base):
            return pk
    return None


def _victim_state(victim: Victim) -> tuple[Any, ...]:
    session = VerificationSession.objects.get(pk=victim.session.pk)
    return session.state, session.subscriber.status, session.subscriber.full_name


PAGES = _admin_pages()


@pytest.mark.parametrize(("page", "model_admin"), PAGES, ids=[page for page, _ in PAGES])
@pytest.mark.parametrize("role", ["clerk (staff)", "supervisor"])
def test_outlet_a_staff_see_and_touch_nothing_of_outlet_b_in_the_admin(
    page: str, model_admin: Any, role: str, staff_of_a: dict[str, Any], victim: Victim
) -> None:
    client = _client(staff_of_a[role])
    url = reverse(f"admin:{page}_changelist")
    phone = victim.secrets[0]
    before_state = _victim_state(victim)
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    for label, query in (("changelist", ""), ("search by phone", phone), ("search by number", victim.secrets[2])):
        response = client.get(url, {"q": query} if query else {})
        body = response.content.decode(errors="replace")
        leaked = [secret for secret in victim.secrets if secret in body and secret != query]  # the box echoes q
        record_access(f"admin {page} {label}", "other outlet", expected="nothing of B",
                      got="leaked" if leaked else "nothing of B")  # fmt: skip
        assert not leaked, f"{role} sees {leaked} on {page} ({label})"

    row = _victims_row(model_admin.model, victim)
    for action in model_admin.actions or []:
        name = action if isinstance(action, str) else action.__name__
        data = {"action": name, "select_across": "1", "index": "0"}
        if row is not None:
            data["_selected_action"] = [str(row)]
        response = client.post(url, data)
        body = response.content.decode(errors="replace")
        leaked = [secret for secret in victim.secrets if secret in body]
        record_access(f"admin {page} action {name} (select all)", "other outlet", expected="nothing of B",
                      got="leaked" if leaked else "nothing of B")  # fmt: skip
        assert not leaked, f"{role} got {leaked} from {name} on {page}"
    assert _victim_state(victim) == before_state
    touched = AuditEvent.objects.filter(
        id__gt=last_event, object_id__in=[str(victim.session.pk), str(victim.session.subscriber.document_id)]
    )
    assert not touched.exists(), list(touched.values_list("action", flat=True))


def test_an_admin_exports_across_outlets_and_every_outlet_sees_it(
    admin_of_a: Any, victim: Victim, other_outlet: Any, outlet: Any
) -> None:
    url = reverse("admin:registration_identitydocument_changelist")
    document_id = victim.session.subscriber.document_id
    response = _client(admin_of_a).post(
        url, {"action": "export_subjects", "_selected_action": [str(document_id)], "index": "0"}
    )
    record_access("admin identitydocument action export_subjects", "right user", expected=200,
                  got=response.status_code)  # fmt: skip
    assert response.status_code == 200
    assert victim.secrets[2] in response.content.decode()
    exported = AuditEvent.objects.filter(action="subject.exported", object_id=str(document_id), actor=admin_of_a)
    assert [event.outlet_id for event in exported] == [other_outlet.pk]  # the victim outlet's audit log shows it
    assert exported.get().details["outlets"] == [other_outlet.code]


def test_the_services_check_the_role_themselves(staff_of_a: dict[str, Any], victim: Victim) -> None:
    identity = victim.session.subscriber.document
    before = database_snapshot()
    for role, user in staff_of_a.items():
        with pytest.raises(Forbidden):
            services.subject_export(actor=user, identity=identity)
        with pytest.raises(Forbidden):
            services.subject_erase(actor=user, identity=identity)
        record_access("service subject_export/erase", "wrong role", expected=403, got=403)
        assert role
    assert database_snapshot() == before


def test_the_review_queue_decides_nothing_of_another_outlet_with_select_all(
    staff_of_a: dict[str, Any], victim: Victim
) -> None:
    url = reverse("admin:registration_manualreviewsession_changelist")
    response = _client(staff_of_a["supervisor"]).post(
        url,
        {
            "action": "approve_sessions",
            "select_across": "1",
            "index": "0",
            "_selected_action": [str(victim.session.pk)],
        },
    )
    assert response.status_code in (200, 302)
    assert VerificationSession.objects.get(pk=victim.session.pk).state == SessionState.MANUAL_REVIEW
