from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registration"
    verbose_name = _("Registration")

    def ready(self) -> None:
        # Register the tasks in every process, not only in workers (whose start-up imports them):
        # the services send the judgement chain by name, and the embedded default (`make run`,
        # CELERY_TASK_ALWAYS_EAGER) runs it in the web process, where an unregistered name fails.
        from . import tasks  # noqa: F401
