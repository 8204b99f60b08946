"""The pages' HTTP calls of one tablet: sign-in (session cookie + CSRF), a registration with its
document and consent, reads and the cancel; blocking, called through a thread."""

from __future__ import annotations

import contextlib
import random
from typing import Any


def prc_id() -> str:
    """A random, syntactically valid resident ID number (ISO 7064 MOD 11-2 check digit)."""
    birth = f"{random.randint(1960, 1999)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    first_17 = f"110101{birth}{random.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(digit) * weight for digit, weight in zip(first_17, weights, strict=True))
    return first_17 + "10X98765432"[total % 11]


def phone() -> str:
    return f"+86139{random.randint(0, 99_999_999):08d}"


class StepFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TabletHttp:
    """One tablet's signed-in browser session (cookie + CSRF), blocking; call through a thread."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        # As the pages' own requests: over https, Django's CSRF check also wants a same-origin Referer.
        self.http.headers["Referer"] = f"{self.base_url}/"

    def sign_in(self, username: str, password: str) -> None:
        self.http.get(f"{self.base_url}/login/", timeout=30)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf}
        response = self.http.post(f"{self.base_url}/login/", data=form, timeout=30, allow_redirects=False)
        if response.status_code != 302 or "sessionid" not in self.http.cookies:
            raise StepFailed(f"sign_in:{response.status_code}")

    @property
    def csrf(self) -> str:
        return str(self.http.cookies.get("csrftoken", ""))

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    def call(self, step: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json", "X-CSRFToken": self.csrf}
        response = self.http.request(method, f"{self.base_url}/api/{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            try:
                code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = str(response.status_code)
            raise StepFailed(f"{step}:{response.status_code}:{code}")
        return dict(response.json())

    def consent_version(self) -> str:
        return str(self.call("consent_text", "GET", "consent-text/?kind=face_processing&language=zh-hans")["version"])

    def prepare_session(self, card: bytes, consent_version: str) -> str:
        """Registration, document and consent (the product's order): the session is then ready for the challenge."""
        person = {"full_name": "负载 测试", "document_type": "prc_id", "document_number": prc_id()}
        session = self.call("create", "POST", "sessions/", json={**person, "phone_number": phone()})
        session_id = str(session["id"])
        files = {"image": ("card.jpg", card, "image/jpeg")}
        self.call("document", "POST", f"sessions/{session_id}/document/", files=files)
        self.call("consent", "POST", f"sessions/{session_id}/consent/", json={"consent_version": consent_version})
        return session_id

    def session(self, session_id: str) -> dict[str, Any]:
        return self.call("read", "GET", f"sessions/{session_id}/")

    def cancel(self, session_id: str) -> None:
        with contextlib.suppress(StepFailed):
            self.call("cancel", "POST", f"sessions/{session_id}/cancel/", json={"reason": "load test gave up"})
