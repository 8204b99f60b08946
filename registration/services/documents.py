"""The ID document photo: check it, crop its portrait and keep only that, encrypted."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.errors import InvalidInput
from registration.face_matching import FaceMatchingError, get_matcher
from registration.images import decode_upload, encode_jpeg
from registration.models import EvidenceKind, VerificationSession
from registration.state_machine import check_transition

from .evidence import evidence_store
from .transitions import S, User, session_lock, session_move, session_open

PORTRAIT_ERRORS = {
    "no_face_found": "No portrait was found on this document photo: retake it flat, sharp and well lit.",
    "several_faces": "Several faces were found: photograph one document alone, without people around it.",
}


def document_upload(*, session_id: UUID | str, actor: User, data: bytes, source: str) -> VerificationSession:
    """Check an ID document photo (or a chip portrait), crop its portrait and keep only that, encrypted.

    The page itself is never stored: only the portrait crop that the match will use.
    """
    session_open(session_id)
    with transaction.atomic():
        check_transition(session_lock(session_id).state, S.DOCUMENT_CAPTURED)
    image = decode_upload(data)  # outside the transaction: detection takes a moment
    try:
        portrait = get_matcher().locate_document_portrait(image.bgr)
    except FaceMatchingError as exc:
        raise InvalidInput(PORTRAIT_ERRORS.get(exc.reason_code, str(exc)), code=exc.reason_code) from exc
    with transaction.atomic():
        session = session_lock(session_id)
        check_transition(session.state, S.DOCUMENT_CAPTURED)
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
            details={"source": source, "portrait_box": [face.x, face.y, face.w, face.h]},
        )
    return session
