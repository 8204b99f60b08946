"""The sign-in lockout counts against the real client address, per user name: the web process
listens on loopback behind the TLS proxy and reads `X-Forwarded-For` only from
`SHIMING_TRUSTED_PROXIES` (registration/proxies.py, `client_ip_address`). A forged header per request
is not a new counter, and five bad guesses through the proxy do not lock a user name for everyone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.e2e.conftest import _free_port, _stop, _wait_for_port
from tests.environment import PROJECT_ROOT
from tests.factories import UserFactory
from tests.processes import database_url_for

from .report import record_access

pytestmark = [pytest.mark.security]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
PROXY = "10.8.0.2"  # the TLS proxy's address as the web process sees it
STRANGER, CUSTOMER_CLERK = "198.51.100.7", "198.51.100.8"


def _sign_in(client: Client, username: str, password: str, *, peer: str, forwarded_for: str = "") -> Any:
    meta: dict[str, Any] = {"REMOTE_ADDR": peer}
    if forwarded_for:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/login/", {"username": username, "password": password}, **meta)


@pytest.fixture
def behind_the_proxy(settings: Any) -> None:
    settings.SHIMING_TRUSTED_PROXIES = [PROXY]


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_an_untrusted_peer_buys_no_guesses(
    clerk: Any, settings: Any, behind_the_proxy: None
) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), clerk.username, "wrong", peer="203.0.113.9", forwarded_for=f"192.0.2.{attempt}")
    locked = _sign_in(Client(), clerk.username, PASSWORD, peer="203.0.113.9", forwarded_for="192.0.2.200")
    record_access("POST login/ rotating X-Forwarded-For", "anonymous", expected=429, got=locked.status_code)
    assert locked.status_code == 429


@pytest.mark.django_db
def test_clients_behind_the_trusted_proxy_have_counters_of_their_own(
    clerk: Any, settings: Any, behind_the_proxy: None
) -> None:
    """A stranger's bad guesses lock the user name for the stranger only, whatever the stranger puts in
    front of the address the proxy appends."""
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        forged = f"192.0.2.{attempt}, {STRANGER}"  # the client's own header, then what the proxy saw
        _sign_in(Client(), clerk.username, "wrong", peer=PROXY, forwarded_for=forged)
    stranger = _sign_in(Client(), clerk.username, PASSWORD, peer=PROXY, forwarded_for=f"192.0.2.99, {STRANGER}")
    record_access("POST login/ via proxy, the guesser", "anonymous", expected=429, got=stranger.status_code)
    assert stranger.status_code == 429

    colleague = Client()
    response = _sign_in(colleague, clerk.username, PASSWORD, peer=PROXY, forwarded_for=CUSTOMER_CLERK)
    record_access("POST login/ via proxy, another client", "right user", expected=302, got=response.status_code)
    assert response.status_code == 302
    assert "_auth_user_id" in colleague.session


# --- the deployment: the web role of docker/entrypoint, over real HTTP ------------------------


def _token_request(url: str, username: str, password: str, forwarded_for: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(  # noqa: S310 - a loopback URL the test built
        f"{url}/api/auth/token/",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


@pytest.fixture
def production_web_role(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """`docker/entrypoint web` (migrate, then daphne as deployed) on a free loopback port and the test database,
    with no trusted proxy: the test's requests come straight from a client."""
    port = _free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SHIMING_"))}
    env = {
        **clean,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{clean.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "SHIMING_PORT": str(port),
        "SHIMING_TRUSTED_PROXIES": "",
    }
    log = tmp_path / "web.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["sh", str(PROJECT_ROOT / "docker" / "entrypoint"), "web"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log, seconds=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def test_the_deployed_web_role_ignores_a_clients_forwarded_for(production_web_role: str, settings: Any) -> None:
    clerk: Any = UserFactory()
    statuses = [
        _token_request(production_web_role, clerk.username, f"wrong-{attempt}", f"192.0.2.{attempt}")
        for attempt in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = _token_request(production_web_role, clerk.username, PASSWORD, "192.0.2.250")
    record_access("POST api/auth/token/ deployed, rotating XFF", "anonymous", expected=429, got=locked)
    assert locked == 429


def test_the_compose_file_puts_the_app_behind_the_proxy_only() -> None:
    """The web process listens on loopback; the proxy shares the host network and writes the client's
    address itself; production trusts that proxy's address and nothing else."""
    docker = PROJECT_ROOT / "docker"
    entrypoint = (docker / "entrypoint").read_text()
    daphne = next(line for line in entrypoint.splitlines() if "exec daphne" in line)
    assert "--proxy-headers" not in daphne
    assert re.search(r"-b \"\$\{SHIMING_BIND_ADDRESS:-127\.0\.0\.1\}\"", daphne)
    caddy = (docker / "Caddyfile").read_text()
    assert "to 127.0.0.1:{$SHIMING_WEB_1_PORT:8000} 127.0.0.1:{$SHIMING_WEB_2_PORT:8001}" in caddy
    assert "header_up X-Forwarded-For {remote_host}" in caddy
    compose = (docker / "compose.yml").read_text()
    proxy_service = compose.split("  proxy:", 1)[1].split("\n  web:", 1)[0]
    assert "network_mode: host" in proxy_service
    assert "SHIMING_TRUSTED_PROXIES=127.0.0.1" in (docker / "env.example").read_text()
