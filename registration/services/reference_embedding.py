"""The document portrait's embedding, made while the customer does the challenge, so the match only
embeds the live frames.

Where it is kept, and why there: the worker that makes it is not the one that matches (any process
of any worker serving the ``face`` queue takes each task), so process memory cannot carry it, and
PostgreSQL must never hold an embedding. It is kept in Redis, the one store every worker reaches,
under one key per session:

- encrypted with the evidence key (AES-GCM, ``registration.crypto``), bound by associated data to
  the session, to a SHA-256 of the exact portrait bytes it was made from and to the matcher
  setting: a re-uploaded portrait, another session's key or another matcher is never used;
- with a time to live ending when the session expires;
- taken (read and deleted in one command) by the match, deleted again when the match is decided
  and when the session reaches a final state any other way.

Missing, expired, stale or unreadable: the match embeds the portrait itself (the same distance,
one embedding pass slower). That is the normal path when the upload and the match follow each other
closely, not a fallback to another model. Nothing here is ever written to the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from uuid import UUID

import numpy as np
import redis
from django.conf import settings
from django.utils import timezone

from registration import crypto
from registration.face_matching.base import DEFAULT_MATCHER, FaceBox, FaceEmbedding
from registration.models import VerificationSession

logger = logging.getLogger(__name__)

KEY_PREFIX = "shiming:reference-embedding:"
EMBEDDING_SIZES = (128, 256)  # Dlib, OMZ 0095; the matcher itself is bound by the associated data


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def embedding_key(session_id: UUID | str) -> str:
    return f"{KEY_PREFIX}{session_id}"


def _aad(session_id: UUID | str, portrait: bytes) -> bytes:
    matcher = getattr(settings, "SHIMING_FACE_MATCHER", DEFAULT_MATCHER)
    return f"reference-embedding:{session_id}:{hashlib.sha256(portrait).hexdigest()}:{matcher}".encode()


def seal(embedding: FaceEmbedding, *, session_id: UUID | str, portrait: bytes) -> bytes:
    """The value kept in Redis: ``<key id>:<nonce + AES-GCM ciphertext>`` of the embedding as JSON."""
    face = embedding.face
    payload = {
        "vector": [float(value) for value in embedding.vector],  # JSON floats round-trip exactly
        "face": [face.x, face.y, face.w, face.h, face.confidence],
        "detector": embedding.detector,
        "detect_ms": embedding.detect_ms,
        "embed_ms": embedding.embed_ms,
    }
    key_id, blob = crypto.encrypt(json.dumps(payload).encode(), associated_data=_aad(session_id, portrait))
    return key_id.encode() + b":" + blob


def unseal(sealed: bytes, *, session_id: UUID | str, portrait: bytes) -> FaceEmbedding:
    """The embedding back; DecryptionFailed for another session, portrait or matcher, or a forgery."""
    key_id, _, blob = sealed.partition(b":")
    payload = json.loads(crypto.decrypt(key_id.decode(), blob, associated_data=_aad(session_id, portrait)))
    vector = np.asarray(payload["vector"], dtype=np.float64)
    if vector.ndim != 1 or vector.size not in EMBEDDING_SIZES or not np.isfinite(vector).all():
        raise ValueError(f"a reference embedding of shape {vector.shape}")
    x, y, w, h, confidence = payload["face"]
    return FaceEmbedding(
        vector, FaceBox(x, y, w, h, confidence), payload["detector"], payload["detect_ms"], payload["embed_ms"]
    )


def reference_embedding_keep(
    *, session: VerificationSession, portrait: bytes, embedding: FaceEmbedding, made_in: frozenset[str]
) -> bool:
    """Keep ``embedding`` (of exactly ``portrait``) until the session expires; False when not kept.

    ``made_in`` are the states the embedding was made for: when the session has left them by the time
    the key is written (the match began meanwhile), the key is deleted again at once."""
    ttl = int((session.expires_at - timezone.now()).total_seconds())
    if ttl <= 0:
        return False
    redis_client().set(embedding_key(session.pk), seal(embedding, session_id=session.pk, portrait=portrait), ex=ttl)
    state = VerificationSession.objects.filter(pk=session.pk).values_list("state", flat=True).first()
    if state not in made_in:
        reference_embedding_discard(session_id=session.pk)
        return False
    return True


def reference_embedding_kept(*, session_id: UUID | str) -> bool:
    """Whether an embedding waits for this session's match (a Redis error reads as no)."""
    try:
        return bool(redis_client().exists(embedding_key(session_id)))
    except redis.RedisError:
        return False


def reference_embedding_take(*, session_id: UUID | str, portrait: bytes) -> FaceEmbedding | None:
    """The embedding made from exactly ``portrait``, removed from Redis; None when there is none to use."""
    try:
        sealed = redis_client().getdel(embedding_key(session_id))
    except redis.RedisError as exc:
        logger.warning(
            "reference embedding of session %s unreachable (%s): embedding the portrait now", session_id, exc
        )
        return None
    if sealed is None:
        logger.info("no reference embedding kept for session %s: embedding the portrait now", session_id)
        return None
    try:
        return unseal(bytes(sealed), session_id=session_id, portrait=portrait)
    except (crypto.DecryptionFailed, ValueError, KeyError, TypeError) as exc:
        logger.warning("reference embedding of session %s not usable (%s): embedding the portrait now", session_id, exc)
        return None


def reference_embedding_discard(*, session_id: UUID | str) -> None:
    """Delete the session's reference embedding, if any (the match is decided or the session ended)."""
    try:
        redis_client().delete(embedding_key(session_id))
    except redis.RedisError as exc:  # the key's time to live still ends it with the session
        logger.warning("reference embedding of session %s not deleted now (%s)", session_id, exc)
