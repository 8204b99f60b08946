"""The ID document photo: check it, crop its portrait and keep only that, encrypted."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.errors import InvalidInput
from registration.face_matching import FaceMatchingError, get_matcher
from registration.images import decode_upload, encode_jpeg
from registration.models import EvidenceKind, VerificationSession
from registration.selectors import has_document_portrait
from registration.state_machine import check_action, document_action

from .evidence import evidence_store
from .transitions import S, User, session_lock, session_move, session_open

PORTRAIT_ERRORS = {
    "no_face_found": "No portrait was found on this document photo: retake it flat, sharp and well lit.",
    "several_faces": "Several faces were found: photograph one document alone, without people around it.",
}


def document_upload(*, session_id: UUID | str, actor: User, data: bytes, source: str) -> VerificationSession:
    """Check an ID document photo (or a chip portrait), crop its portrait and keep only that, encrypted.

    The page itself is never stored: only the portrait crop that the match will use. A portrait
    too small, blurred or turned to be matched is refused (400, ``portrait_too_small`` /
    ``portrait_blurred`` / ``portrait_turned``, a message for the clerk to retake the photo)
    before anything is written.

    The clerk takes it before the handover and may retake it until the customer consents. Finding
    and measuring the printed portrait's face (a box, five landmarks, sharpness) is image quality, not
    a comparison: no embedding is made here, so nothing compares a face before the consent.
    """
    session_open(session_id)
    with transaction.atomic():
        _check_document_action(session_lock(session_id))
    image = decode_upload(data)  # outside the transaction: detection takes a moment
    try:
        matcher = get_matcher()
        portrait = matcher.locate_document_portrait(image.bgr)
        quality = matcher.check_document_portrait(portrait.image)
    except FaceMatchingError as exc:
        raise InvalidInput(PORTRAIT_ERRORS.get(exc.reason_code, str(exc)), code=exc.reason_code) from exc
    with transaction.atomic():
        session = session_lock(session_id)
        _check_document_action(session)
        evidence_store(
            session=session,
            kind=EvidenceKind.ID_PORTRAIT,
            content=encode_jpeg(portrait.image),
            content_type="image/jpeg",
        )
        face = portrait.face
        session_move(
            session,
            S.DOCUMENT_CAPTURED,
            actor=actor,
            document_captured_at=timezone.now(),
            details={
                "source": source,
                "portrait_box": [face.x, face.y, face.w, face.h],
                "portrait_quality": asdict(quality),
            },
        )
    return session


def _check_document_action(session: VerificationSession) -> None:
    check_action(document_action(has_portrait=has_document_portrait(session)), session.state)
