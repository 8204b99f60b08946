"""The product's Celery app routes and schedules the tasks by their declared names: the face work
goes to the face queue, everything else to the default queue, every sweep is on the beat schedule,
and the settings still configure the rest (broker, acknowledgement after the work)."""

from __future__ import annotations

from celery import Task

from config.celery_app import app
from registration import task_names, tasks

JUDGEMENT = {task_names.LIVENESS_VERDICT, task_names.EMBED_REFERENCE, task_names.MATCH_FACES}


def _declared_tasks() -> set[str]:
    return {task.name for task in vars(tasks).values() if isinstance(task, Task)}


def _queue_of(name: str) -> str:
    return str(app.amqp.router.route({}, name)["queue"].name)


def test_the_routes_and_the_schedule_name_real_tasks() -> None:
    declared = _declared_tasks()
    assert set(app.conf.task_routes) <= declared
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= declared


def test_the_face_work_goes_to_the_face_queue_and_the_rest_to_the_default_queue() -> None:
    assert {name: _queue_of(name) for name in _declared_tasks()} == {
        name: task_names.FACE_QUEUE if name in {task_names.EMBED_REFERENCE, task_names.MATCH_FACES} else "default"
        for name in _declared_tasks()
    }


def test_every_sweep_is_on_the_beat_schedule_and_no_judgement_task_is() -> None:
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == _declared_tasks() - JUDGEMENT


def test_the_settings_still_configure_the_broker_and_late_acknowledgement() -> None:
    from django.conf import settings

    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_acks_late is True
