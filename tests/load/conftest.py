"""The load test reuses the end-to-end rig: the test settings for subprocesses, the real Celery
worker (threads, both queues) and the helpers that start and stop a Daphne server."""

from tests.e2e.conftest import celery_worker_process, e2e_tools, reseed_after_flush, subprocess_env

__all__ = ["celery_worker_process", "e2e_tools", "reseed_after_flush", "subprocess_env"]
