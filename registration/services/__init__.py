"""Writes, one module per sub-domain. Each service owns its transaction, enforces the product's rules,
audits what it changed, and schedules side effects (tasks, pushes to screens) on commit.

Callers import from here (`from registration import services`); the modules are:
registrations, consent, documents, chip_reads, card_readers, calibration, evidence, attempts, judgement,
decisions, policy, subjects, retention, and transitions (locking and moving a session, expiry)."""

from .access import access_revoke, access_signed_out
from .attempts import attempts_recover, capture_abort, capture_finish, capture_start, reference_embed_ahead
from .calibration import calibration_record_store
from .card_readers import card_reader_enroll, card_reader_revoke
from .chip_reads import (
    chip_read_request,
    chip_read_submit,
    chip_registration_get,
    chip_registration_request,
    reader_pending_reads,
)
from .compliance import filing_threshold_check, impact_assessment_record
from .consent import CONSENT_TEXT_CONTENT, consent_record, consent_text_save, session_request_alternative
from .customer_mode import customer_mode_begin, customer_mode_end
from .decisions import document_check_allowed, four_eyes_bars, session_cancel, session_decide
from .documents import document_number_for_review, document_upload
from .evidence import evidence_purge, evidence_read, evidence_read_kind, evidence_reencrypt, evidence_store
from .judgement import (
    faces_match,
    liveness_judge,
    liveness_verdict_apply,
    match_apply,
    match_to_manual_review,
    matching_begin,
    reference_embed,
    spoof_signals,
)
from .registrations import needs_guardian_consent, new_challenge_plan, registration_create, subscriber_age
from .retention import retention_enforce, reviews_escalate, sessions_close_overdue
from .subjects import subject_erase, subject_export, subject_find, subjects_erase_due, subscriber_end_service
from .transitions import session_extend, sessions_expire_stale
from .verification_policy import policy_update

__all__ = [
    "CONSENT_TEXT_CONTENT",
    "access_revoke",
    "access_signed_out",
    "attempts_recover",
    "calibration_record_store",
    "capture_abort",
    "capture_finish",
    "capture_start",
    "card_reader_enroll",
    "card_reader_revoke",
    "chip_read_request",
    "chip_read_submit",
    "chip_registration_get",
    "chip_registration_request",
    "consent_record",
    "consent_text_save",
    "customer_mode_begin",
    "customer_mode_end",
    "document_check_allowed",
    "document_number_for_review",
    "document_upload",
    "evidence_purge",
    "evidence_read",
    "evidence_read_kind",
    "evidence_reencrypt",
    "evidence_store",
    "faces_match",
    "filing_threshold_check",
    "four_eyes_bars",
    "impact_assessment_record",
    "liveness_judge",
    "liveness_verdict_apply",
    "match_apply",
    "match_to_manual_review",
    "matching_begin",
    "needs_guardian_consent",
    "new_challenge_plan",
    "policy_update",
    "reader_pending_reads",
    "reference_embed",
    "reference_embed_ahead",
    "registration_create",
    "retention_enforce",
    "reviews_escalate",
    "session_cancel",
    "session_decide",
    "session_extend",
    "session_request_alternative",
    "sessions_close_overdue",
    "sessions_expire_stale",
    "spoof_signals",
    "subject_erase",
    "subject_export",
    "subject_find",
    "subjects_erase_due",
    "subscriber_age",
    "subscriber_end_service",
]
