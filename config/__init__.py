from .startup_noise import quiet_environment

quiet_environment()  # before anything imports TensorFlow

from .celery_app import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
