"""A setting whose value does not parse stops the start with its name and value, as a missing
secret does, instead of a bare "could not convert string to float"."""

from __future__ import annotations

import pytest

from tests.processes import run_python


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("SHIMING_MALLOC_TRIM_SECONDS", "abc", "could not convert string to float"),
        ("SHIMING_MAX_CAPTURE_SESSIONS", "five", "invalid literal for int()"),
        ("SHIMING_ICE_SERVERS", "[{", "Expecting property name"),
        ("SHIMING_FACE_VIDEO_KBPS", "-5", "at least 100"),  # a negative bitrate went into the answer
        ("SHIMING_FACE_VIDEO_KBPS", "fast", "invalid literal for int()"),
    ],
)
def test_a_value_that_does_not_parse_names_its_variable(variable: str, value: str, why: str) -> None:
    result = run_python(
        "import django; django.setup()", {"DJANGO_SETTINGS_MODULE": "config.settings.local", variable: value}
    )

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"django.core.exceptions.ImproperlyConfigured: {variable}={value!r} is not valid here: "), (
        last
    )
    assert why in last, last


def test_good_values_still_parse() -> None:
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.SHIMING_MALLOC_TRIM_SECONDS, settings.SHIMING_MAX_CAPTURE_SESSIONS,"
        " settings.SHIMING_FACE_VIDEO_KBPS)\n"
    )
    result = run_python(
        code,
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "SHIMING_MALLOC_TRIM_SECONDS": "12.5",
            "SHIMING_MAX_CAPTURE_SESSIONS": "4",
            "SHIMING_FACE_VIDEO_KBPS": "1500",
        },
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["12.5", "4", "1500"]
