from axes import apps as axes_apps
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

        self._require_face_models()

    @staticmethod
    def _require_face_models() -> None:
        """Production refuses to start without the configured matcher's model files (named, with the fix)."""
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        if not getattr(settings, "SHIMING_REQUIRE_FACE_MODELS", False):
            return
        from registration.face_matching.base import matcher_class

        missing = matcher_class().missing_model_files()
        if missing:
            raise ImproperlyConfigured(
                f"The face matcher {settings.SHIMING_FACE_MATCHER} needs model files missing from "
                f"SHIMING_MODELS_DIR={settings.SHIMING_MODELS_DIR}: {', '.join(missing)}. Install them with "
                f"`make models` (internet) or `make models MODELS_FROM=DIR` (a verified copy), or choose "
                f"another SHIMING_FACE_MATCHER."
            )


class SignInProtectionConfig(axes_apps.AppConfig):
    """django-axes (the sign-in lockout) under a name the admin shows in the reader's language."""

    default = False  # INSTALLED_APPS names it; "registration" alone means RegistrationConfig
    verbose_name = _("Sign-in protection")
