"""The embedded default (`make run`: tasks in-process) can run the judgement chain it sends by name.

Found walking `make run`: every capture on the embedded default ended with
`NotRegistered('registration.tasks.liveness_verdict')`, because only a worker's start-up imported
the tasks module. A fresh process, as `make run` starts it."""

from __future__ import annotations

import pytest

from tests.conftest import run_python

pytestmark = pytest.mark.slow


def test_the_web_process_of_the_embedded_default_knows_the_judgement_tasks() -> None:
    code = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from registration.task_names import LIVENESS_VERDICT, MATCH_FACES\n"
        "print(current_app.conf.task_always_eager, LIVENESS_VERDICT in current_app.tasks,"
        " MATCH_FACES in current_app.tasks)\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]
