"""The impact assessment's recorded versions (the compliance pack: `registration.compliance`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImpactAssessment(models.Model):
    """One version of the personal-information impact assessment record (PIPL art. 55-56, the 2025
    face-recognition Measures art. 5): the facts as the product measured them when it was recorded.

    The record is never edited: a new version is recorded instead, and each is kept at least
    `keep_until` (three years)."""

    version = models.PositiveIntegerField(unique=True, verbose_name=_("version"))
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    keep_until = models.DateTimeField(verbose_name=_("kept until"))
    facts = models.JSONField(verbose_name=_("facts"))

    class Meta:
        verbose_name = _("impact assessment")
        verbose_name_plural = _("impact assessments")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.recorded_at:%Y-%m-%d})"
