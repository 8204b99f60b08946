"""docker/Caddyfile retries on the other replica only requests without a body.

Caddy 2.6 (Debian's, the local proxy image of scripts/deploy-check) resends a request whose dial
failed with the body Go's transport had already closed: the retry fails on the healthy replica and,
with `max_fails 1`, takes it out of the rotation too. Found by the deployment check: one POST routed
to a killed replica made every request 503 for 30 s. The proxy's behaviour itself is exercised by
scripts/deploy-check ("POSTs after the kill"); this pins the configuration that gives it.
"""

from __future__ import annotations

import re

from tests.environment import PROJECT_ROOT

CADDYFILE = (PROJECT_ROOT / "docker" / "Caddyfile").read_text()


def _proxy_blocks() -> dict[str, str]:
    """Each `reverse_proxy` block by its matcher ('' for none), with its body."""
    blocks = {}
    for match in re.finditer(r"reverse_proxy ?(@\w+)? \{(.*?)\n\t\t\}", CADDYFILE, re.S):
        blocks[match.group(1) or ""] = match.group(2)
    return blocks


def test_only_requests_without_a_body_are_retried() -> None:
    blocks = _proxy_blocks()
    assert set(blocks) == {"@idempotent", ""}
    methods = re.search(r"@idempotent method ([A-Z ]+)\n", CADDYFILE)
    assert methods is not None
    assert set(methods.group(1).split()) == {"GET", "HEAD", "OPTIONS"}
    assert "lb_try_duration" in blocks["@idempotent"]
    assert "lb_try_duration" not in blocks[""]
    assert "lb_retries" not in blocks[""]
    assert "lb_try_duration" not in CADDYFILE.split("(replicas) {", 1)[1].split("\n}", 1)[0]


def test_both_proxies_balance_the_same_health_checked_replicas() -> None:
    blocks = _proxy_blocks()
    for body in blocks.values():
        assert "import replicas" in body
    replicas = CADDYFILE.split("(replicas) {", 1)[1].split("\n}", 1)[0]
    for setting in ("max_fails 1", "health_uri /api/health/", "health_interval 1s", "lb_policy least_conn"):
        assert setting in replicas
    # Routed in the written order: the matched (retrying) proxy first, the catch-all after it.
    assert CADDYFILE.index("route {") < CADDYFILE.index("reverse_proxy @idempotent")
