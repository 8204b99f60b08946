"""The embedded default (`make run`: tasks in-process) can run the judgement chain it sends by name:
the web process registers the tasks itself (not only a worker's start-up), or every capture ends in
`NotRegistered('registration.tasks.liveness_verdict')`. A fresh process, as `make run` starts it."""

from __future__ import annotations

import pytest

from tests.processes import run_python

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
