"""Production settings: secrets have no defaults, and `check --deploy` passes when they are given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.environment import PROJECT_ROOT

pytestmark = pytest.mark.slow

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-production-secret-for-the-check-only",
    "DJANGO_ALLOWED_HOSTS": "shiming.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SHIMING_EVIDENCE_KEYS": "k1:dGVzdC1ldmlkZW5jZS1rZXktMzItYnl0ZXMtbG9uZyE=",
    "SHIMING_ID_HASH_KEY": "an-id-hash-key",
    "SHIMING_MODELS_DIR": str(settings.SHIMING_MODELS_DIR),  # the suite's installed OMZ files
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SHIMING_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets() -> None:
    for missing in ("DJANGO_SECRET_KEY", "SHIMING_EVIDENCE_KEYS", "SHIMING_ID_HASH_KEY", "DATABASE_URL"):
        env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
        result = _manage("check", env=env)
        assert result.returncode != 0
        assert missing in result.stderr


def test_production_always_draws_the_random_plan_and_has_no_fixed_plan_setting() -> None:
    """`SHIMING_FIXED_CHALLENGE_PLAN` exists only in the test settings: in production the variable
    is ignored and every plan is drawn at random (a fixed plan would let a recording pass)."""
    script = (
        "from django.conf import settings; from registration.services import new_challenge_plan; "
        "print(hasattr(settings, 'SHIMING_FIXED_CHALLENGE_PLAN')); "
        "print(len({tuple(new_challenge_plan(previous=None)) for _ in range(40)}))"
    )
    env = {**PRODUCTION_ENV, "SHIMING_FIXED_CHALLENGE_PLAN": "blink,blink,blink"}
    result = _manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    has_setting, distinct_plans = result.stdout.split()[-2:]
    assert has_setting == "False"
    assert int(distinct_plans) > 1


def test_production_refuses_to_start_without_the_matchers_model_files(tmp_path: Path) -> None:
    """The OMZ matcher is production's default: with an empty models folder every process stops at
    start-up, naming the missing files and the command that installs them."""
    result = _manage("check", env={**PRODUCTION_ENV, "SHIMING_MODELS_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "face-reidentification-retail-0095.bin" in result.stderr
    assert "make models" in result.stderr
