"""What each API error code says to the person at the tablet: the one table of the words.

The API sends every error as `{"code", "message", "details"}`; the message is this table's entry for
the code, in the request's language (LocaleMiddleware: the page's language cookie, or the client's
Accept-Language), with the details' values filled in. The pages show that message as it comes
(`frontend/static/frontend/api.js` words only a network failure, which never reaches the server).
A code without an entry keeps the message it was raised with: Django REST framework's own errors
(worded and translated by the framework) and the document portrait's quality refusals (worded, in
the request's language, by the matcher's quality check).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Promise] = {
    # The kinds of domain error (registration/errors.py), when a service names no finer code.
    "invalid": _("The request is not valid."),
    "invalid_input": _("Some fields are not valid."),
    "not_found": _("Not found: it does not exist, or it is not at your outlet."),
    "forbidden": _("You are not allowed to do this."),
    "conflict": _("This is not possible in the current state of the data."),
    "illegal_transition": _("This step is not possible in the session's current state."),
    "rate_limited": _("Too many requests: wait a moment and try again."),
    "busy": _("The server is busy: retry in a moment."),
    "extension_not_now": _("More time can be given only while the consent is read."),
    "extension_used": _("The time was already extended once."),
    "customer_mode": _("The customer holds the tablet: the clerk takes it back with their password first."),
    # The customer's details.
    "full_name": _("The full name is required."),
    "document_type": _("Unknown document type."),
    "id_format": _("The document number is not in the right format."),
    "id_checksum": _("The check digit of this identity card number is wrong: please re-type it."),
    "id_region": _("The region code of this identity card number does not exist."),
    "id_birth_date": _("The date of birth inside this identity card number is not a real past date."),
    "id_not_ascii": _(
        "Character %(position)s of the document number is not a plain digit or letter: re-type it with the "
        "digits 0-9 and letters A-Z (half-width keyboard)."
    ),
    "birth_date": _("The date of birth must be a past date."),
    "birth_date_required": _("Enter the date of birth: this document's number does not contain it."),
    "phone_format": _("A mainland mobile number has 11 digits and starts with 13 to 19."),
    "phone_not_ascii": _(
        "Character %(position)s of the phone number is not a plain digit: re-type it with the digits 0-9 "
        "(half-width keyboard)."
    ),
    "phone_in_use": _("This phone number is already registered to an active subscriber."),
    "id_limit_reached": _("This identity document already holds the maximum number of active numbers."),
    "no_outlet": _("Your account is not attached to an outlet."),
    "session_expired": _("This verification session has expired: start a new one."),
    # The document photo.
    "empty_upload": _("Choose or take a photo first."),
    "upload_too_large": _("The image is larger than %(limit_mb)g MB: take the photo again, or choose a smaller file."),
    "request_too_large": _("The request body is too large."),
    "bad_request": _("The request could not be understood."),
    "not_an_image": _("The file is not a readable image."),
    "unreadable_image": _("The file is not a readable image."),
    "decompression_bomb": _("The image has too many pixels."),
    "no_face_found": _("No face was found on the document photo: retake it."),
    "several_faces": _("More than one face is on the document photo: retake it with the document only."),
    "document_photo_required": _("There is no document photo on file: photograph the document first."),
    # The consent.
    "consent_version": _("That consent text is not the current one: reload the page."),
    "consent_text_in_use": _("Customers have agreed to this text: publish a new version instead of editing it."),
    "guardian_required": _("The customer is a minor: a guardian's name and ID document are required."),
    "guardian_minor": _("The guardian must be an adult."),
    # The live check.
    "attempts_exhausted": _("No liveness attempts are left for this session."),
    "capture_rate_clerk": _("Too many capture attempts from this account: wait a minute."),
    "capture_rate_outlet": _("Too many capture attempts at this outlet: wait a minute."),
    "stale_capture": _("This capture attempt is no longer current."),
    # Decisions, roles and the admin's operations.
    "decision": _("The decision is 'approved' or 'rejected'."),
    "note_required": _("Say why: the note is kept with the decision."),
    "four_eyes": _("You opened this registration or photographed its document: another supervisor must decide it."),
    "supervisor_required": _("Only a supervisor can decide a manual review."),
    "role_required": _("Your role does not allow this."),
    "admin_required": _("Only an admin can do this."),
    "policy_field": _("Unknown policy field."),
    "thresholds": _("The approve threshold must be at least as close as the reject threshold."),
    "subject_not_found": _("No data is held for this identity document."),
    "not_active": _("Only an active number's service can end."),
    "phone_in_address": _(
        "Search by phone number in the request's body (POST /api/sessions/search/), never in the address: "
        "addresses are written to logs."
    ),
    # The document check and the card readers (docs/security.md, "Document and chip checks").
    "document_face_only": _(
        "This photo shows a face, not a document: photograph the whole ID document, its portrait and printed data."
    ),
    "document_no_data_fields": _(
        "No printed data was found beside the portrait: photograph the document's data side, flat and whole."
    ),
    "document_portrait_misplaced": _(
        "The portrait is not where this document type prints it: check the document type and photograph its data side."
    ),
    "document_no_mrz": _(
        "No machine-readable zone (the two lines of code at the bottom) was found: photograph the whole data page."
    ),
    "mrz_mismatch": _("The number, date of birth or name typed differs from the document's machine-readable zone."),
    "chip_read_required": _(
        "A chip portrait comes only from the outlet's enrolled card reader: use the reader, or photograph the document."
    ),
    "guardian_is_minor": _("The guardian must be another person than the minor."),
    "reader_protocol": _("Not a message of the card-reader protocol."),
    "reader_unknown": _("This card reader is not enrolled."),
    "reader_signature_invalid": _("The card reader's signature does not verify."),
    "reader_revoked": _("This card reader has been revoked."),
    "reader_poll_stale": _("The reader's clock is off, or the poll is a replay."),
    "reader_other_outlet": _("This card reader belongs to another outlet."),
    "reader_key": _("The public key is 64 hexadecimal characters (Ed25519)."),
    "chip_session_unknown": _("No such session for this reader."),
    "chip_nonce_invalid": _("This chip read is not for an open request of this session (replayed?)."),
    "chip_portrait": _("The chip portrait is not base64."),
    "chip_portrait_mismatch": _("The chip portrait is not the one the reader signed."),
    "chip_unreadable": _("The card's chip could not be read: a supervisor will check."),
    "chip_fields_invalid": _("The chip read's document fields are not valid."),
    "chip_identity_mismatch": _("The card's chip holds another identity than the one typed."),
    "chip_registration": _("No chip read at this outlet found this card's chip unreadable."),
    "birth_date_mismatch": _(
        "The date of birth differs from the one this identity document was registered with: check it on the document."
    ),
    # Signing in, and the service itself.
    "not_authenticated": _("Your sign-in has expired: sign in again."),
    "locked_out": _("Too many failed sign-ins: this user name is locked on this device."),
    "throttled": _("Too many requests: wait a moment and try again."),
    "unavailable": _("The service is unavailable: try again."),
}


def error_message(code: str, details: Mapping[str, Any] | None = None, *, fallback: str = "") -> str:
    """The words for `code` in the active language, with `details` filled in; `fallback` for a code
    without an entry (or details that do not fill its words)."""
    words = MESSAGES.get(code)
    if words is None:
        return fallback
    text = str(words)
    if "%(" not in text:
        return text
    try:
        return text % dict(details or {})
    except (KeyError, TypeError, ValueError):
        return fallback or text
