"""The outlets' enrolled ID card readers and the chip reads they sent (`registration.reader_protocol`)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import DocumentType, IdentitySource, ReferenceBinding
from .reader_protocol import valid_public_key


class TypedDocumentFields(models.Model):
    """A subscriber's document as typed for this registration (the identity row keeps the type it
    was first seen under: one number is one identity) and a travel permit's issue count."""

    document_type = models.CharField(
        max_length=32, choices=DocumentType.choices, blank=True, verbose_name=_("document type")
    )
    document_issue_count = models.CharField(max_length=2, blank=True, verbose_name=_("permit issue count"))
    identity_source = models.CharField(
        max_length=8, choices=IdentitySource.choices, default=IdentitySource.TYPED, verbose_name=_("identity from")
    )

    class Meta:
        abstract = True


class DocumentBindingFields(models.Model):
    """What ties a session's portrait to the typed identity (empty: unbound, never approved without a
    supervisor, services/judgement.py) and the open chip-read request's nonce."""

    reference_binding = models.CharField(
        max_length=16, choices=ReferenceBinding.choices, blank=True, verbose_name=_("reference bound by")
    )
    reference_unbound_reason = models.CharField(max_length=64, blank=True, verbose_name=_("why not bound"))
    chip_nonce = models.CharField(max_length=64, blank=True, verbose_name=_("chip read nonce"))
    chip_nonce_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("chip read nonce expires"))

    class Meta:
        abstract = True


def validate_public_key(value: str) -> None:
    if not valid_public_key(value.strip().lower()):
        raise ValidationError(_("The public key is 64 hexadecimal characters (Ed25519)."))


class CardReader(models.Model):
    """An outlet's enrolled ID card reader: its agent signs every chip read with this Ed25519 key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("reader id"))
    outlet = models.ForeignKey(
        "registration.Outlet", on_delete=models.PROTECT, related_name="card_readers", verbose_name=_("outlet")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    public_key = models.CharField(
        max_length=64,
        unique=True,
        validators=[validate_public_key],
        help_text=_("The reader's Ed25519 public key, 32 bytes in hex."),
        verbose_name=_("public key"),
    )
    enrolled_at = models.DateTimeField(auto_now_add=True, verbose_name=_("enrolled"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked"))

    class Meta:
        verbose_name = _("card reader")
        verbose_name_plural = _("card readers")
        ordering = ["outlet", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.outlet.code})"


class ChipRegistration(models.Model):
    """A chip read a clerk asked for on the registration page, before the registration exists: the
    reader signs this id as the read's session id, and the session the read opens takes it.

    ``outcome`` is empty while the request is open, ``registered`` once the read opened the session,
    or the code of why it did not (``chip_unreadable``, ``id_limit_reached``...). The phone number is
    held only while the request is open."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("session number"))
    outlet = models.ForeignKey(
        "registration.Outlet", on_delete=models.CASCADE, related_name="chip_registrations", verbose_name=_("outlet")
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("clerk")
    )
    phone_number = models.CharField(max_length=16, blank=True, verbose_name=_("phone number"))
    nonce = models.CharField(max_length=64, blank=True, verbose_name=_("chip read nonce"))
    expires_at = models.DateTimeField(verbose_name=_("chip read nonce expires"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    outcome = models.CharField(max_length=64, blank=True, verbose_name=_("outcome"))
    reader_reason = models.CharField(max_length=60, blank=True, verbose_name=_("reader's reason"))

    class Meta:
        verbose_name = _("chip registration request")
        verbose_name_plural = _("chip registration requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"chip registration {self.pk} ({self.outcome or 'open'})"


class ChipRead(models.Model):
    """One chip read a reader agent sent, accepted or refused (with the reason): the readers' audit."""

    reader = models.ForeignKey(
        CardReader, on_delete=models.PROTECT, null=True, blank=True, related_name="reads", verbose_name=_("reader")
    )
    session = models.ForeignKey(
        "registration.VerificationSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chip_reads",
        verbose_name=_("session"),
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("received"))
    accepted = models.BooleanField(verbose_name=_("accepted"))
    refusal_reason = models.CharField(max_length=64, blank=True, verbose_name=_("why refused"))
    document_type = models.CharField(max_length=32, blank=True, verbose_name=_("document type"))
    number_masked = models.CharField(max_length=32, blank=True, verbose_name=_("document number (masked)"))

    class Meta:
        verbose_name = _("chip read")
        verbose_name_plural = _("chip reads")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"chip read {self.pk} ({'accepted' if self.accepted else self.refusal_reason})"
