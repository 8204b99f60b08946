"""Celery worker start-up: a worker that serves the `face` queue loads and warms the matcher once
per process, after the fork, so the first customer does not wait for the models to load."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import celeryd_init, worker_process_init

logger = logging.getLogger(__name__)
FACE_QUEUE = "face"
_serves_face_queue = False


@celeryd_init.connect
def _remember_queues(options: dict[str, Any] | None = None, **kwargs: Any) -> None:
    global _serves_face_queue
    queues = (options or {}).get("queues") or ""
    names = queues.split(",") if isinstance(queues, str) else list(queues)
    _serves_face_queue = not names or FACE_QUEUE in names  # no -Q: the worker serves every queue


@worker_process_init.connect
def _warm_up_matcher(**kwargs: Any) -> None:
    if not _serves_face_queue:
        return
    from registration.face_matching import get_matcher

    get_matcher().warm_up()  # a missing model raises here: the worker process fails to start, loudly
    logger.info("face matcher warmed up")
