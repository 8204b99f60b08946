"""The registration domain: outlets, staff, subscribers, verification sessions, consent, evidence, audit.

Models hold data and constraints only; the rules that change them live in `services.py`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .audit_words import audit_action_label
from .calibration_records import CalibrationRecord  # noqa: F401 - registered here
from .compliance_records import ImpactAssessment  # noqa: F401 - registered here
from .documents import DocumentType
from .reader_models import CardReader, ChipRead, ChipRegistration, DocumentBindingFields, TypedDocumentFields  # noqa: F401 - registered here
from .state_machine import SessionState


class Outlet(models.Model):
    code = models.CharField(max_length=16, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    address = models.CharField(max_length=400, blank=True, verbose_name=_("address"))

    class Meta:
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StaffProfile(models.Model):
    """Links a staff user to the one outlet they work at."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="staff", verbose_name=_("outlet"))

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} @ {self.outlet.code}"


class IdentityDocument(models.Model):
    """One identity document, known by a keyed hash; its row is locked to enforce the per-ID limit."""

    document_type = models.CharField(max_length=32, choices=DocumentType.choices, verbose_name=_("document type"))
    number_hash = models.CharField(max_length=64, verbose_name=_("number hash"))
    number_encrypted = models.BinaryField(verbose_name=_("encrypted number"))
    number_key_id = models.CharField(max_length=32, verbose_name=_("number key"))
    number_masked = models.CharField(max_length=32, verbose_name=_("document number (masked)"))
    birth_date = models.DateField(null=True, blank=True, verbose_name=_("date of birth"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    # The person asked to be erased while the real-name rules still required their identity: the
    # retention sweep finishes the erasure once nothing requires it (`services.subjects`).
    erasure_requested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("erasure requested"))
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name=_("erased"))

    class Meta:
        verbose_name = _("data subject (ID document)")
        verbose_name_plural = _("data subjects (ID documents)")
        constraints = [
            models.UniqueConstraint(fields=["document_type", "number_hash"], name="unique_identity_document"),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} {self.number_masked}"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    # The number was active and its service has ended: the holder's identity is kept for the
    # statutory period after `service_ended_at`, then erased.
    ENDED = "ended", _("Service ended")


class Subscriber(TypedDocumentFields, models.Model):
    full_name = models.CharField(max_length=200, verbose_name=_("full name"))
    document = models.ForeignKey(
        IdentityDocument, on_delete=models.PROTECT, related_name="subscribers", verbose_name=_("document")
    )
    phone_number = models.CharField(max_length=16, db_index=True, verbose_name=_("phone number"))
    status = models.CharField(
        max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING, verbose_name=_("status")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="subscribers", verbose_name=_("outlet"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    activated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("activated"))
    service_ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("service ended"))

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(
                fields=["phone_number"], condition=Q(status="active"), name="unique_active_phone_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} {self.phone_number}"


class VerificationSession(DocumentBindingFields, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("session number"))
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("subscriber")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("outlet"))
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("clerk")
    )
    state = models.CharField(
        max_length=24,
        choices=SessionState.choices,
        default=SessionState.CREATED,
        db_index=True,
        verbose_name=_("state"),
    )
    challenge_plan = models.JSONField(default=list, blank=True, verbose_name=_("challenge plan"))
    challenge_nonce = models.CharField(max_length=64, blank=True, verbose_name=_("challenge nonce"))
    non_biometric = models.BooleanField(default=False, verbose_name=_("checked by hand"))
    alternative_reason = models.CharField(max_length=400, blank=True, verbose_name=_("why by hand"))

    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created"))
    expires_at = models.DateTimeField(verbose_name=_("expires"))
    consented_at = models.DateTimeField(null=True, blank=True, verbose_name=_("consented"))
    document_captured_at = models.DateTimeField(null=True, blank=True, verbose_name=_("document photographed"))
    liveness_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("live check started"))
    liveness_finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("live check finished"))
    matching_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("comparison started"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    attempt_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    liveness_passed = models.BooleanField(null=True, blank=True, verbose_name=_("live check passed"))
    liveness_reasons = models.JSONField(default=list, blank=True, verbose_name=_("live check reasons"))
    liveness_detail = models.JSONField(default=dict, blank=True, verbose_name=_("live check detail"))
    match_distance = models.FloatField(null=True, blank=True, verbose_name=_("face distance"))
    match_threshold = models.FloatField(null=True, blank=True, verbose_name=_("comparison threshold"))
    match_model = models.CharField(max_length=64, blank=True, verbose_name=_("comparison model"))
    match_detail = models.JSONField(default=dict, blank=True, verbose_name=_("comparison detail"))
    decision = models.CharField(max_length=16, blank=True, verbose_name=_("decision"))
    decision_reasons = models.JSONField(default=list, blank=True, verbose_name=_("decision reasons"))
    decision_note = models.CharField(max_length=1000, blank=True, verbose_name=_("decision note"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    evidence_purge_after = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("evidence purged after")
    )
    review_escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("review escalated"))

    class Meta:
        verbose_name = _("verification session")
        verbose_name_plural = _("verification sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["outlet", "-created_at"])]

    def __str__(self) -> str:
        return f"{_('session')} {str(self.id)[:8]} ({self.get_state_display()})"


class ManualReviewSession(VerificationSession):
    """The supervisors' queue in the admin: sessions waiting for a human decision."""

    class Meta:
        proxy = True
        verbose_name = _("case waiting for review")
        verbose_name_plural = _("manual review queue")


class ConsentText(models.Model):
    """A versioned consent text; the record of a consent points at the exact text shown."""

    class Kind(models.TextChoices):
        FACE_PROCESSING = "face_processing", _("Face processing")
        GUARDIAN = "guardian", _("Guardian's consent for a minor")

    version = models.CharField(max_length=32, verbose_name=_("version"))
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.FACE_PROCESSING, verbose_name=_("kind"))
    language = models.CharField(max_length=16, verbose_name=_("language"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(verbose_name=_("text"))
    is_current = models.BooleanField(default=True, verbose_name=_("current"))
    published_at = models.DateTimeField(auto_now_add=True, verbose_name=_("published"))

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "language"], name="unique_consent_text_version"),
        ]

    def __str__(self) -> str:
        language = dict(settings.LANGUAGES).get(self.language, self.language)
        return f"{self.get_kind_display()} v{self.version} ({language})"


class ConsentRecord(models.Model):
    session = models.ForeignKey(
        VerificationSession, on_delete=models.CASCADE, related_name="consents", verbose_name=_("session")
    )
    consent_text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="+", verbose_name=_("consent text")
    )
    kind = models.CharField(max_length=32, choices=ConsentText.Kind.choices, verbose_name=_("kind"))
    given_at = models.DateTimeField(auto_now_add=True, verbose_name=_("given"))
    channel = models.CharField(max_length=32, default="tablet", verbose_name=_("channel"))
    guardian_name = models.CharField(max_length=200, blank=True, verbose_name=_("guardian's name"))
    guardian_document_masked = models.CharField(
        max_length=32, blank=True, verbose_name=_("guardian's document (masked)")
    )
    guardian_document_hash = models.CharField(max_length=64, blank=True, verbose_name=_("guardian's document hash"))
    # What the customer agreed to: the body as shown (retention rendered in) and that retention.
    shown_body = models.TextField(blank=True, verbose_name=_("text as shown"))
    retention_hours = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("retention (hours)"))

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.kind} consent for {self.session_id}"


class EvidenceKind(models.TextChoices):
    ID_PORTRAIT = "id_portrait", _("ID portrait")
    LIVE_FRAME = "live_frame", _("Live frame")
    LIVENESS_TRACE = "liveness_trace", _("Liveness feature trace")
    # More sharp, frontal, eyes-open frames of the capture, for the match only: deleted once it is decided.
    LIVE_FRAMES_EXTRA = "live_frames_extra", _("Extra live frames (deleted after the match)")
    CHALLENGE_FRAMES = "challenge_frames", _("Frames sampled through the challenge (deleted after the match)")
    # The whole page the clerk photographed, for the supervisor who checks the document by hand.
    DOCUMENT_PHOTO = "document_photo", _("Photo of the whole document")


class Evidence(models.Model):
    """Biometric evidence, encrypted at rest (AES-GCM, bound to session and kind) and purged on schedule."""

    session = models.ForeignKey(
        VerificationSession, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("session")
    )
    kind = models.CharField(max_length=32, choices=EvidenceKind.choices, verbose_name=_("kind"))
    content_type = models.CharField(max_length=64, verbose_name=_("content type"))
    key_id = models.CharField(max_length=32, verbose_name=_("key"))
    ciphertext = models.BinaryField(verbose_name=_("ciphertext"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="one_evidence_per_kind")]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.kind} of {self.session_id}"


class AuditEvent(models.Model):
    """Append-only record of every state change and every view of evidence."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(max_length=150, verbose_name=_("actor name"))
    action = models.CharField(max_length=64, db_index=True, verbose_name=_("action"))
    object_type = models.CharField(max_length=64, verbose_name=_("object type"))
    object_id = models.CharField(max_length=64, db_index=True, verbose_name=_("object"))
    outlet = models.ForeignKey(
        Outlet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("outlet")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {audit_action_label(self.action)}"


class VerificationPolicy(models.Model):
    """Thresholds and retention an admin can change at run time; an empty field uses the setting.

    There is one row (pk=1). Changes are audited by the admin through `services.policy_update`.
    """

    face_accept_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text=_("Approve at this score or closer, in the unit of the face matcher in use (shown above)."),
        verbose_name=_("face approve threshold"),
    )
    face_reject_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text=_("Reject when the score is farther than this, in the unit of the face matcher in use."),
        verbose_name=_("face reject threshold"),
    )
    # The matcher (FaceMatcher.KEY) the two thresholds above were set for: a score of one model
    # means nothing to another, so they apply only while that matcher is the one in use.
    face_thresholds_matcher = models.CharField(
        max_length=40, blank=True, default="", editable=False, verbose_name=_("face thresholds set for matcher")
    )
    evidence_retention_hours = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("evidence retention (hours)")
    )
    max_active_numbers_per_id = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("most active numbers per document")
    )
    session_ttl_seconds = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("session time (seconds)"))
    max_liveness_attempts = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("live check attempts")
    )
    light_challenge = models.BooleanField(
        null=True,
        blank=True,
        help_text=_("Add the screen-light step to the live check (the customer may choose more actions instead)."),
        verbose_name=_("screen-light step"),
    )
    judgement_max_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("A session still waiting for its liveness verdict or face comparison this long is closed."),
        verbose_name=_("longest wait for the verdict (hours)"),
    )
    review_escalate_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("A case waiting this long for a supervisor is escalated to the admins."),
        verbose_name=_("escalate a review after (days)"),
    )
    review_close_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("A case still undecided this long is closed and its evidence purged on schedule."),
        verbose_name=_("close an undecided review after (days)"),
    )
    identity_keep_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("The real-name rules keep a holder's identity this long after the number's service ends."),
        verbose_name=_("identity kept after the service ends (days)"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("verification policy")
        verbose_name_plural = _("verification policy")

    def __str__(self) -> str:
        return str(_("verification policy"))
