"""Secrets stay out of the image and the repository: `docker/.env` and `docker/certs/key.pem` sit in
the build context, and `.dockerignore` and `.gitignore` keep them out of the image and of git; they
reach the containers at run time (compose's `env_file`, the proxy's volume).

There is no Docker engine here, so `.dockerignore` is read with Docker's own rules (patterns from the
context root, `*` within one path segment, `**` across segments, a matched folder excludes its
contents, the last matching line wins and `!` re-includes); `.gitignore` is asked of git itself.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache

import pytest

from tests.environment import PROJECT_ROOT

pytestmark = [pytest.mark.security]

SECRETS = (
    "docker/.env",
    "docker/certs/key.pem",
    "docker/certs/cert.pem",
    ".env",
    "config/.env.production",
    "keys/evidence.key",
    "server.pem",
    "deploy/id_ed25519",
)
NEEDED_IN_THE_IMAGE = (
    "manage.py",
    "requirements.lock",
    "docker/entrypoint",
    "docker/web.env",  # the web process's allocator: no secret, read by the entrypoint
    "docker/env.example",
    "config/settings/production.py",
    "registration/models.py",
    "frontend/static/frontend/app.css",
)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + "$")


@cache
def _dockerignore_rules() -> tuple[tuple[bool, re.Pattern[str]], ...]:
    rules = []
    for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        rules.append((include, _pattern_regex(line.lstrip("!").strip("/"))))
    return tuple(rules)


def _excluded_from_the_build_context(path: str) -> bool:
    """Whether Docker leaves `path` (relative to the context root) out of the build context."""
    parts = path.split("/")
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]  # the path and its folders
    excluded = False
    for include, regex in _dockerignore_rules():
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not include
    return excluded


@pytest.mark.parametrize("path", SECRETS)
def test_secrets_are_not_in_the_build_context(path: str) -> None:
    assert _excluded_from_the_build_context(path), f"{path} would be copied into the image"


@pytest.mark.parametrize("path", NEEDED_IN_THE_IMAGE)
def test_the_code_still_is(path: str) -> None:
    assert not _excluded_from_the_build_context(path)


def test_git_ignores_the_secrets_and_no_secret_is_tracked() -> None:
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *SECRETS, *NEEDED_IN_THE_IMAGE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # "source:line:pattern<TAB>path"; "::<TAB>path" when no line matches; a "!pattern" re-includes.
    verdict = {}
    for line in checked.stdout.splitlines():
        source, path = line.split("\t")
        verdict[path] = source != "::" and not source.split(":", 2)[2].startswith("!")
    assert {path for path in SECRETS if not verdict[path]} == set(), "not ignored by git"
    assert {path for path in NEEDED_IN_THE_IMAGE if verdict[path]} == set(), "code ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert tracked.stdout == "", f"tracked files that are ignored (secrets?): {tracked.stdout}"


def test_the_dockerfile_copies_no_secret_by_name() -> None:
    """Only the build context reaches `COPY . .`; no instruction names a secret (or the certificates)."""
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    copies = [line for line in dockerfile.splitlines() if re.match(r"\s*(COPY|ADD)\b", line)]
    assert copies
    for line in copies:
        assert not re.search(r"\.env\b|certs|\.pem|\.key\b|id_rsa|id_ed25519", line), line
    compose = (PROJECT_ROOT / "docker" / "compose.yml").read_text()
    assert "env_file: ${SHIMING_ENV_FILE:-.env}" in compose  # at run time (docker/.env unless the check's)
    assert "/certs:ro" in compose
