"""The ID document photo: check that it is a document, bind the typed identity to it, crop its portrait
and keep, encrypted, the crop (for the match) and the page scaled down (for the supervisor who checks
the document by hand)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import numpy as np
from django.db import transaction
from django.utils import timezone

from registration import crypto
from registration.audit import audit
from registration.document_layout import LAYOUTS, FaceBoxPixels, layout_check
from registration.documents import DocumentType
from registration.errors import Forbidden, InvalidInput
from registration.face_matching import FaceMatchingError, get_matcher
from registration.face_matching.quality import PortraitQuality
from registration.face_matching.types import DocumentPortrait
from registration.images import decode_upload, encode_jpeg
from registration.models import Evidence, EvidenceKind, IdentityDocument, VerificationSession
from registration.mrz import mrz_compare, mrz_read
from registration.roles import is_supervisor
from registration.selectors import has_document_portrait
from registration.state_machine import check_action, document_action

from .evidence import evidence_store
from .transitions import S, User, session_lock, session_move, session_open

logger = logging.getLogger(__name__)

# The page kept for the supervisor: enough to read its printed lines, a few hundred KB at most.
DOCUMENT_PHOTO_MAX_SIDE = 1600
DOCUMENT_PHOTO_QUALITY = 85

PORTRAIT_ERRORS = {
    "no_face_found": "No portrait was found on this document photo: retake it flat, sharp and well lit.",
    "several_faces": "Several faces were found: photograph one document alone, without people around it.",
}
DOCUMENT_ERRORS = {
    "document_face_only": (
        "This photo shows a face, not a document: photograph the whole ID document, its portrait and printed data."
    ),
    "document_no_data_fields": (
        "No printed data was found beside the portrait: photograph the document's data side, flat and whole."
    ),
    "document_portrait_misplaced": (
        "The portrait is not where this document type prints it: check the document type and photograph its data side."
    ),
    "document_no_mrz": (
        "No machine-readable zone (the two lines of code at the bottom) was found: photograph the whole data page."
    ),
    "mrz_mismatch": "The number, date of birth or name typed differs from the document's machine-readable zone.",
    "chip_read_required": (
        "A chip portrait comes only from the outlet's enrolled card reader: use the reader, or photograph the document."
    ),
}


@dataclass(frozen=True)
class Binding:
    """How the photo ties the typed identity to the document: ``bound_by`` "mrz" or "" (unbound, why)."""

    bound_by: str
    unbound_reason: str
    detail: dict[str, Any]


def document_refused(code: str, **details: Any) -> InvalidInput:
    return InvalidInput(DOCUMENT_ERRORS[code], code=code, details=details)


def document_upload(*, session_id: UUID | str, actor: User, data: bytes, source: str) -> VerificationSession:
    """Check an ID document photo, bind the typed identity to it, crop its portrait, keep both.

    The photo must show a document of the typed type (``document_layout``: the portrait where the
    type prints it, printed data beside it, and an MRZ on a passport page); an MRZ is read and held
    against the typed number, date of birth and name (``mrz``): a mismatch is refused, a match binds
    the reference, anything else leaves it unbound, and an unbound reference is never approved
    without a supervisor (``judgement``). A photo of a PRC card is unbound: its chip read is what
    binds it. ``source="chip"`` is refused here: chip portraits arrive signed from an enrolled reader
    (``chip_reads``).

    The crop is what the match compares; the page, scaled down to `DOCUMENT_PHOTO_MAX_SIDE`, is only
    for the supervisor who checks the document by hand (the review page, every view audited); both
    are purged with the session's evidence. Nothing is written before every check passed. Finding
    the portrait's face is image quality, not a comparison: no embedding is made here.
    """
    if source == "chip":
        raise document_refused("chip_read_required")
    session_open(session_id)
    with transaction.atomic():
        _check_document_action(session_lock(session_id))
    image = decode_upload(data)  # outside the transaction: detection and OCR take a moment
    portrait, quality = document_portrait(image.bgr)
    identity = typed_identity(session_id)
    face = portrait.face
    layout = layout_check(image.bgr, FaceBoxPixels(face.x, face.y, face.w, face.h), identity.document_type)
    if layout.refusal is not None:
        raise document_refused(layout.refusal, **asdict(layout))
    binding = mrz_binding(image.bgr, identity)
    page = encode_jpeg(image.bgr, quality=DOCUMENT_PHOTO_QUALITY, max_side=DOCUMENT_PHOTO_MAX_SIDE)
    with transaction.atomic():
        session = session_lock(session_id)
        _check_document_action(session)
        if binding.unbound_reason == "prc_card_chip_not_read" and session.reference_unbound_reason == "chip_unreadable":
            binding = Binding("", "chip_unreadable", {})  # the reader reported the chip unreadable: say so
        portrait_store(
            session,
            actor=actor,
            portrait=portrait,
            quality=quality,
            binding=binding,
            details={"source": "photo", "layout": asdict(layout)},
            page=page,
        )
    return session


def document_portrait(bgr: np.ndarray) -> tuple[DocumentPortrait, PortraitQuality]:
    """The portrait of a page or chip image and its quality; `InvalidInput` the clerk can act on."""
    try:
        matcher = get_matcher()
        portrait = matcher.locate_document_portrait(bgr)
        return portrait, matcher.check_document_portrait(portrait.image)
    except FaceMatchingError as exc:
        raise InvalidInput(PORTRAIT_ERRORS.get(exc.reason_code, str(exc)), code=exc.reason_code) from exc


@dataclass(frozen=True)
class TypedIdentity:
    """What the clerk typed when opening the registration (the number decrypted)."""

    document_type: str
    number: str
    birth_date: Any
    full_name: str


def typed_identity(session_id: UUID | str) -> TypedIdentity:
    session = VerificationSession.objects.select_related("subscriber__document").get(pk=session_id)
    document: IdentityDocument = session.subscriber.document
    number = crypto.decrypt(
        document.number_key_id,
        bytes(document.number_encrypted),
        associated_data=f"id:{document.document_type}".encode(),
    ).decode()
    document_type = session.subscriber.document_type or document.document_type
    return TypedIdentity(document_type, number, document.birth_date, session.subscriber.full_name)


def document_number_for_review(*, session_id: UUID | str, supervisor: User) -> str:
    """The document's full number for the supervisor deciding the case, to hold against the card
    in hand (the pages otherwise show it masked); every reading is audited."""
    if not is_supervisor(supervisor):
        raise Forbidden("Only a supervisor can review cases.", code="supervisor_required")
    identity = typed_identity(session_id)
    session = VerificationSession.objects.select_related("outlet").get(pk=session_id)
    audit(actor=supervisor, action="document.number_viewed", target=session, outlet=session.outlet,
          details={"purpose": "supervisor_review"})  # fmt: skip
    return identity.number


def mrz_binding(bgr: np.ndarray, identity: TypedIdentity) -> Binding:
    """Read the photo's MRZ and hold the typed identity against it (refuses a mismatch)."""
    if identity.document_type == DocumentType.PRC_ID_CARD:
        return Binding("", "prc_card_chip_not_read", {})
    try:
        read = mrz_read(bgr)
    except (OSError, RuntimeError) as exc:  # Tesseract missing or failing: a person checks the page
        logger.error("MRZ reader unavailable: %s", exc)
        return Binding("", "mrz_reader_unavailable", {"error": str(exc)[:200]})
    if read is None:
        if LAYOUTS[identity.document_type].mrz_required:
            raise document_refused("document_no_mrz")
        return Binding("", "mrz_not_on_photo", {})
    comparison = mrz_compare(read, number=identity.number, birth_date=identity.birth_date, full_name=identity.full_name)
    detail = {"mrz_type": read.mrz_type, "country": read.country, "reasons": list(comparison.reasons)}
    if comparison.outcome == "mismatch":
        raise document_refused("mrz_mismatch", reasons=list(comparison.reasons))
    if comparison.outcome == "unreadable":
        return Binding("", "mrz_unreadable", detail)
    return Binding("mrz", "", detail)


def portrait_store(
    session: VerificationSession,
    *,
    actor: User | None,
    portrait: DocumentPortrait,
    quality: PortraitQuality,
    binding: Binding,
    details: dict[str, Any],
    page: bytes | None = None,
) -> None:
    """Store the portrait crop and the page's JPEG (a chip read has none: any earlier page goes) and
    move the session to document_captured with its binding (locked)."""
    evidence_store(
        session=session, kind=EvidenceKind.ID_PORTRAIT, content=encode_jpeg(portrait.image), content_type="image/jpeg"
    )
    if page is None:
        Evidence.objects.filter(session=session, kind=EvidenceKind.DOCUMENT_PHOTO).delete()
    else:
        evidence_store(session=session, kind=EvidenceKind.DOCUMENT_PHOTO, content=page, content_type="image/jpeg")
    face = portrait.face
    session_move(
        session,
        S.DOCUMENT_CAPTURED,
        actor=actor,
        document_captured_at=timezone.now(),
        reference_binding=binding.bound_by,
        reference_unbound_reason=binding.unbound_reason,
        details={
            **details,
            "portrait_box": [face.x, face.y, face.w, face.h],
            "portrait_quality": asdict(quality),
            "reference_binding": binding.bound_by,
            "reference_unbound_reason": binding.unbound_reason,
            "binding_detail": binding.detail,
        },
    )


def _check_document_action(session: VerificationSession) -> None:
    check_action(document_action(has_portrait=has_document_portrait(session)), session.state)
