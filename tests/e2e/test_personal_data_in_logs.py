"""No personal data in logs: a registration driven through a real Daphne (with a web server's access
log) and a real Celery worker leaves the customer's phone number, name and ID number in none of
their logs: the access log, the server's application log and the worker's log."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from registration.authentication import token_for
from registration.roles import CLERK, SUPERVISOR
from registration.tasks import enforce_retention, match_faces
from tests.e2e.conftest import running_daphne
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id
from tests.processes import wait_until

CUSTOMER_NAME = "慕容 雪松"


def _needles(details: dict[str, str]) -> list[str]:
    phone = details["phone_number"]
    digits = phone.removeprefix("+86")
    return [CUSTOMER_NAME, *CUSTOMER_NAME.split(), quote(CUSTOMER_NAME), phone, digits, details["document_number"]]


def _registration(server: str, clerk_token: str, supervisor_token: str, details: dict[str, str]) -> str:
    """What the pages ask of the API for one registration the customer declines, decided by hand."""
    clerk = requests.Session()
    clerk.headers["Authorization"] = f"Token {clerk_token}"
    search = clerk.post(f"{server}/api/sessions/search/", json={"phone_number": details["phone_number"]}, timeout=30)
    assert search.status_code == 200, search.text
    created = clerk.post(f"{server}/api/sessions/", json=details, timeout=30)
    assert created.status_code == 201, created.text
    session_id = str(created.json()["id"])
    assert clerk.get(f"{server}/api/sessions/{session_id}/", timeout=30).status_code == 200
    found = clerk.post(f"{server}/api/sessions/search/", json={"phone_number": details["phone_number"]}, timeout=30)
    assert [row["id"] for row in found.json()["results"]] == [session_id]
    bad = clerk.post(f"{server}/api/sessions/", json={**details, "document_number": "110101"}, timeout=30)
    assert bad.status_code == 400
    clerk.post(f"{server}/api/sessions/{session_id}/cancel/", json={"reason": f"{CUSTOMER_NAME} left"}, timeout=30)
    supervisor = requests.Session()
    supervisor.headers["Authorization"] = f"Token {supervisor_token}"
    assert supervisor.get(f"{server}/api/sessions/{session_id}/", timeout=30).status_code == 200
    return session_id


@pytest.mark.django_db(transaction=True)
def test_a_registration_leaves_no_personal_data_in_any_log(
    reseed_after_flush: None,
    subprocess_env: dict[str, str],
    celery_worker_process: Path,
    tmp_path: Path,
) -> None:
    outlet = OutletFactory()
    clerk: Any = UserFactory(role=CLERK, outlet=outlet)
    supervisor: Any = UserFactory(role=SUPERVISOR, outlet=outlet, is_staff=True)
    details = {
        "full_name": CUSTOMER_NAME,
        "document_type": "prc_id",
        "document_number": make_prc_id(),
        "phone_number": make_phone(),
    }
    access_log, server_log = tmp_path / "access.log", tmp_path / "daphne.log"
    with running_daphne(subprocess_env, server_log, access_log=access_log) as server:
        session_id = _registration(server.url, token_for(clerk).key, token_for(supervisor).key, details)
        sent = [match_faces.delay(session_id), enforce_retention.delay()]

        def done() -> bool:
            log = celery_worker_process.read_text(errors="replace")
            return all(f"[{task.id}] succeeded" in log for task in sent)

        assert wait_until(done, timeout=90), celery_worker_process.read_text(errors="replace")[-3000:]
    logs = {
        "access": access_log.read_text(errors="replace"),
        "server": server_log.read_text(errors="replace"),
        "worker": celery_worker_process.read_text(errors="replace"),
    }
    assert "POST /api/sessions/search/" in logs["access"]  # the access log was written
    found = {name: [needle for needle in _needles(details) if needle in text] for name, text in logs.items()}
    assert found == {"access": [], "server": [], "worker": []}
