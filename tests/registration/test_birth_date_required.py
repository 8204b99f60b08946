"""A document whose number does not carry the date of birth needs it given (issue 16, item 8):
refused with a clear code, nothing written; with the date it opens."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration.models import Subscriber
from tests.factories import make_phone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("document_type", "number"),
    [("passport", "E12345678"), ("hk_macao_permit", "H12345678"), ("taiwan_permit", "12345678")],
)
def test_a_document_without_a_birth_date_in_its_number_needs_one(clerk: Any, document_type: str, number: str) -> None:
    client = APIClient()
    client.force_authenticate(clerk)
    body = {
        "full_name": "Jane Doe",
        "document_type": document_type,
        "document_number": number,
        "phone_number": make_phone(),
    }

    refused = client.post("/api/sessions/", body, format="json")
    opened = client.post("/api/sessions/", {**body, "birth_date": "1990-05-04"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "birth_date_required"
    assert opened.status_code == 201, opened.json()
    assert Subscriber.objects.get().document.birth_date == date(1990, 5, 4)
