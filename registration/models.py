"""The registration domain: outlets, staff, subscribers, verification sessions, consent, evidence, audit.

Models hold data and constraints only; the rules that change them live in `services.py`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .documents import DocumentType
from .state_machine import SessionState


class Outlet(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StaffProfile(models.Model):
    """Links a staff user to the one outlet they work at."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="staff")

    def __str__(self) -> str:
        return f"{self.user} @ {self.outlet.code}"


class IdentityDocument(models.Model):
    """One identity document, known by a keyed hash; its row is locked to enforce the per-ID limit."""

    document_type = models.CharField(max_length=32, choices=DocumentType.choices)
    number_hash = models.CharField(max_length=64)
    number_encrypted = models.BinaryField()
    number_key_id = models.CharField(max_length=32)
    number_masked = models.CharField(max_length=32)
    birth_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document_type", "number_hash"], name="unique_identity_document"),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} {self.number_masked}"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Rejected"


class Subscriber(models.Model):
    full_name = models.CharField(max_length=200)
    document = models.ForeignKey(IdentityDocument, on_delete=models.PROTECT, related_name="subscribers")
    phone_number = models.CharField(max_length=16, db_index=True)
    status = models.CharField(max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="subscribers")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["phone_number"], condition=Q(status="active"), name="unique_active_phone_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} {self.phone_number}"


class VerificationSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="sessions")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="sessions")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=24, choices=SessionState.choices, default=SessionState.CREATED, db_index=True)
    challenge_plan = models.JSONField(default=list, blank=True)
    challenge_nonce = models.CharField(max_length=64, blank=True)
    non_biometric = models.BooleanField(default=False)
    alternative_reason = models.CharField(max_length=400, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    consented_at = models.DateTimeField(null=True, blank=True)
    document_captured_at = models.DateTimeField(null=True, blank=True)
    liveness_started_at = models.DateTimeField(null=True, blank=True)
    liveness_finished_at = models.DateTimeField(null=True, blank=True)
    matching_started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    attempt_count = models.PositiveSmallIntegerField(default=0)
    liveness_passed = models.BooleanField(null=True, blank=True)
    liveness_reasons = models.JSONField(default=list, blank=True)
    liveness_detail = models.JSONField(default=dict, blank=True)
    match_distance = models.FloatField(null=True, blank=True)
    match_threshold = models.FloatField(null=True, blank=True)
    match_model = models.CharField(max_length=64, blank=True)
    match_detail = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=16, blank=True)
    decision_reasons = models.JSONField(default=list, blank=True)
    decision_note = models.CharField(max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evidence_purge_after = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["outlet", "-created_at"])]

    def __str__(self) -> str:
        return f"session {self.id} ({self.state})"


class ManualReviewSession(VerificationSession):
    """The supervisors' queue in the admin: sessions waiting for a human decision."""

    class Meta:
        proxy = True
        verbose_name = "manual review"
        verbose_name_plural = "manual review queue"


class ConsentText(models.Model):
    """A versioned consent text; the record of a consent points at the exact text shown."""

    class Kind(models.TextChoices):
        FACE_PROCESSING = "face_processing", "Face processing"
        GUARDIAN = "guardian", "Guardian's consent for a minor"

    version = models.CharField(max_length=32)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.FACE_PROCESSING)
    language = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    body = models.TextField()
    is_current = models.BooleanField(default=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "language"], name="unique_consent_text_version"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.language})"


class ConsentRecord(models.Model):
    session = models.ForeignKey(VerificationSession, on_delete=models.CASCADE, related_name="consents")
    consent_text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=ConsentText.Kind.choices)
    given_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=32, default="tablet")
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_document_masked = models.CharField(max_length=32, blank=True)
    guardian_document_hash = models.CharField(max_length=64, blank=True)
    # What the customer agreed to: the body as shown (retention rendered in) and that retention.
    shown_body = models.TextField(blank=True)
    retention_hours = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} consent for {self.session_id}"


class EvidenceKind(models.TextChoices):
    ID_PORTRAIT = "id_portrait", "ID portrait"
    LIVE_FRAME = "live_frame", "Live frame"
    LIVENESS_TRACE = "liveness_trace", "Liveness feature trace"


class Evidence(models.Model):
    """Biometric evidence, encrypted at rest (AES-GCM, bound to session and kind) and purged on schedule."""

    session = models.ForeignKey(VerificationSession, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=32, choices=EvidenceKind.choices)
    content_type = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="one_evidence_per_kind")]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.kind} of {self.session_id}"


class AuditEvent(models.Model):
    """Append-only record of every state change and every view of evidence."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, db_index=True)
    outlet = models.ForeignKey(Outlet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )


class VerificationPolicy(models.Model):
    """Thresholds and retention an admin can change at run time; an empty field uses the setting.

    There is one row (pk=1). Changes are audited by the admin through `services.policy_update`.
    """

    face_accept_threshold = models.FloatField(null=True, blank=True, help_text="Approve at or below this distance.")
    face_reject_threshold = models.FloatField(null=True, blank=True, help_text="Reject above this distance.")
    evidence_retention_hours = models.PositiveIntegerField(null=True, blank=True)
    max_active_numbers_per_id = models.PositiveSmallIntegerField(null=True, blank=True)
    session_ttl_seconds = models.PositiveIntegerField(null=True, blank=True)
    max_liveness_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "verification policy"
        verbose_name_plural = "verification policy"

    def __str__(self) -> str:
        return "Verification policy"
