"""Task and queue names have one owner: the tasks are declared under them, and the workers the
product starts serve every queue the tasks are routed to (the routes: tests/config/test_celery_app.py)."""

from __future__ import annotations

import re
from pathlib import Path

from celery import Task

from registration import task_names, tasks
from registration.worker import serves_face_queue

ROOT = Path(__file__).resolve().parents[2]


def _task_names_of_the_module() -> set[str]:
    return {task.name for task in vars(tasks).values() if isinstance(task, Task)}


def _constants() -> dict[str, str]:
    return {name: value for name, value in vars(task_names).items() if name.isupper() and isinstance(value, str)}


def test_every_task_is_declared_under_a_named_constant_and_every_name_is_a_task() -> None:
    names = {value for name, value in _constants().items() if not name.endswith("_QUEUE")}
    assert names == _task_names_of_the_module()


def test_the_face_work_goes_where_the_matcher_is_warmed() -> None:
    face_tasks = {name for name, queue in task_names.QUEUE_OF_TASK.items() if queue == task_names.FACE_QUEUE}
    assert face_tasks == {task_names.EMBED_REFERENCE, task_names.MATCH_FACES}
    assert serves_face_queue(task_names.FACE_QUEUE)
    assert not serves_face_queue(task_names.DEFAULT_QUEUE)


def test_the_production_worker_serves_every_queue() -> None:
    """The image's worker role lists its queues in shell; a new queue must be added there too."""
    entrypoint = (ROOT / "docker" / "entrypoint").read_text()
    listed = re.search(r"celery -A config\.celery_app worker -Q (\S+)", entrypoint)
    assert listed, "the worker role starts no worker with -Q"
    queues = {task_names.DEFAULT_QUEUE, *task_names.QUEUE_OF_TASK.values()}
    assert queues <= set(listed[1].split(","))
