"""The script words of one language as JSON (frontend/catalogue.py), which the live check's language
switch swaps in without a reload: only the project's languages, and allowed while the customer holds
the tablet, as is set_language answering a script with 204 (no redirect)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from registration.models import VerificationSession
from registration.state_machine import SessionState


def test_each_project_language_has_its_catalogue_and_no_other_does(signed_in: Client) -> None:
    chinese = signed_in.get("/jsi18n/zh-hans.json").json()
    english = signed_in.get("/jsi18n/en.json").json()
    assert chinese["catalog"]["Checking…"] != "Checking…"
    assert english["catalog"].get("Checking…", "Checking…") == "Checking…"
    assert signed_in.get("/jsi18n/de.json").status_code == 404
    assert signed_in.post("/jsi18n/en.json").status_code == 405


def test_the_customer_may_switch_the_language_in_place(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    assert signed_in.post(f"/sessions/{session.pk}/customer-mode/").status_code == 302

    assert signed_in.get("/jsi18n/en.json").status_code == 200
    told = signed_in.post("/i18n/setlang/", {"language": "en"}, headers={"Accept": "application/json"})
    assert told.status_code == 204
    assert told.cookies["django_language"].value == "en"
    page = signed_in.get(f"/sessions/{session.pk}/consent/").content.decode()
    assert '<html lang="en">' in page
    assert 'data-catalogue-url="/jsi18n/__language__.json"' in page
