"""Input and output shapes of the API. Shape only: the rules live in services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .documents import DocumentType
from .models import ConsentText, Subscriber, VerificationSession


class TextField(serializers.CharField):
    """A text field that refuses numbers, lists and objects instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Refuses fields it does not know, so a typo is an error rather than silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class RegistrationCreateInput(StrictSerializer):
    full_name = TextField(max_length=Subscriber._meta.get_field("full_name").max_length)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = TextField(max_length=32)
    phone_number = TextField(max_length=24)
    birth_date = serializers.DateField(required=False, allow_null=True)
    chip_registration = serializers.UUIDField(required=False, allow_null=True)


class ChipRegistrationInput(StrictSerializer):
    """The registration page asks the outlet's reader for the card's chip: only the phone is typed."""

    phone_number = TextField(max_length=24)


class ConsentInput(StrictSerializer):
    consent_version = TextField(max_length=32)
    language = TextField(max_length=16, default="zh-hans")
    guardian_name = TextField(max_length=200, required=False, allow_blank=True, default="")
    guardian_document_type = serializers.ChoiceField(choices=DocumentType.choices, required=False, default="prc_id")
    guardian_document_number = TextField(max_length=32, required=False, allow_blank=True, default="")
    guardian_birth_date = serializers.DateField(required=False, allow_null=True, default=None)


class AlternativeInput(StrictSerializer):
    reason = TextField(max_length=400, required=False, allow_blank=True, default="")


class CancelInput(StrictSerializer):
    reason = TextField(max_length=400, required=False, allow_blank=True, default="")


class DocumentUploadInput(StrictSerializer):
    image = serializers.FileField()
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like Field.source
        choices=[("photo", "Photo of the document"), ("chip", "Chip portrait")], default="photo"
    )


class ReaderPollInput(StrictSerializer):
    poll = serializers.DictField()
    signature = TextField(max_length=200)


class ChipReadInput(StrictSerializer):
    read = serializers.DictField()
    portrait = TextField(max_length=200_000, allow_blank=True)
    signature = TextField(max_length=200)


class DecisionInput(StrictSerializer):
    decision = serializers.ChoiceField(choices=[("approved", "Approve"), ("rejected", "Reject")])
    note = TextField(max_length=1000)


class SessionListFilters(StrictSerializer):
    state = TextField(required=False)
    date = serializers.DateField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)
    offset = serializers.IntegerField(required=False, min_value=0)


class SessionSearchInput(SessionListFilters):
    """The list's filters and a phone number, in the body: an address (with its query) is logged by
    every proxy and web server on the way, a body is not."""

    phone_number = TextField(max_length=24)


class SessionOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    subscriber_name = TextField(source="subscriber.full_name")
    phone_number = TextField(source="subscriber.phone_number")
    document_type = TextField(source="subscriber.document.document_type")
    document_number_masked = TextField(source="subscriber.document.number_masked")
    subscriber_status = TextField(source="subscriber.status")
    identity_source = TextField(source="subscriber.identity_source")
    outlet_code = TextField(source="outlet.code")
    clerk = TextField(source="clerk.username")
    decided_by = TextField(source="decided_by.username", default=None)

    class Meta:
        model = VerificationSession
        fields = [
            "id",
            "state",
            "outlet_code",
            "clerk",
            "subscriber_name",
            "phone_number",
            "document_type",
            "document_number_masked",
            "identity_source",
            "subscriber_status",
            "non_biometric",
            "created_at",
            "expires_at",
            "consented_at",
            "document_captured_at",
            "liveness_started_at",
            "liveness_finished_at",
            "matching_started_at",
            "decided_at",
            "attempt_count",
            "liveness_passed",
            "liveness_reasons",
            "match_distance",
            "match_threshold",
            "match_model",
            "decision",
            "decision_reasons",
            "decided_by",
            "reference_binding",
            "reference_unbound_reason",
        ]
        read_only_fields = fields


class ConsentTextQuery(StrictSerializer):
    kind = serializers.ChoiceField(choices=ConsentText.Kind.choices, default=ConsentText.Kind.FACE_PROCESSING)
    language = TextField(max_length=16, default="zh-hans")


class ConsentTextOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ConsentText
        fields = ["version", "kind", "language", "title", "body", "published_at"]
        read_only_fields = fields
