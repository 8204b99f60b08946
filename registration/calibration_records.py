"""Stored calibration runs: what the face matcher's errors and the liveness check's print attacks
measured on this installation, so the impact assessment prints measured figures, never typed ones.

`manage.py face_calibrate --record` stores the matcher's; `manage.py liveness_attacks --record`
the attacks'. Rows are never edited: a new run is a new row, and the assessment reads the latest."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalibrationRecord(models.Model):
    """One measuring run: the component and version measured, the model files' checksums, the
    data it ran on, the exact command and the figures (their keys depend on `kind`)."""

    class Kind(models.TextChoices):
        FACE_MATCHER = "face_matcher", _("face matcher error rates")
        LIVENESS_ATTACKS = "liveness_attacks", _("liveness print attacks")

    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded"))
    component = models.CharField(max_length=64, verbose_name=_("component"))
    """The matcher's KEY (`omz-0095`, `dlib`) or `liveness`."""
    version = models.CharField(max_length=400, verbose_name=_("version"))
    """The model's name and the versions of the libraries that ran it."""
    model_files = models.JSONField(default=dict, verbose_name=_("model files (SHA-256)"))
    dataset = models.TextField(verbose_name=_("data set"))
    command = models.TextField(verbose_name=_("command"))
    figures = models.JSONField(verbose_name=_("figures"))

    class Meta:
        verbose_name = _("calibration record")
        verbose_name_plural = _("calibration records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["kind", "component", "-recorded_at"], name="calibration_latest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.component} ({self.recorded_at:%Y-%m-%d})"
