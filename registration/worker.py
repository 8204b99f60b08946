"""Celery worker start-up: a worker that serves the `face` queue loads and warms the matcher once
per process, after the fork, so the first customer does not wait for the models to load."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery.signals import celeryd_init, worker_process_init

from registration.task_names import FACE_QUEUE

logger = logging.getLogger(__name__)
_serves_face_queue = False


def serves_face_queue(queues: str | Iterable[str] | None) -> bool:
    """Whether a worker started with these `-Q` queues takes face matching work.

    `queues` is what Celery hands `celeryd_init`: None or "" without `-Q` (the worker then serves
    every queue), a comma-separated string, or a list. Blank names are ignored, so "" and " , " mean
    "no -Q" rather than "a queue called ''".
    """
    raw = (queues or "").split(",") if isinstance(queues, str) or queues is None else list(queues)
    names = {name.strip() for name in raw} - {""}
    return not names or FACE_QUEUE in names


@celeryd_init.connect
def _remember_queues(options: dict[str, Any] | None = None, **kwargs: Any) -> None:
    global _serves_face_queue
    _serves_face_queue = serves_face_queue((options or {}).get("queues"))


@worker_process_init.connect
def _warm_up_matcher(**kwargs: Any) -> None:
    if not _serves_face_queue:
        return
    from registration.face_matching import get_matcher

    get_matcher().warm_up()  # a missing model raises here: the worker process fails to start, loudly
    logger.info("face matcher warmed up")
