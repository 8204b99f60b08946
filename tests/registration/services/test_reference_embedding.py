"""The portrait's embedding made before the match: kept encrypted in Redis only, used once, deleted
when the match is decided; a missing, expired or stale one makes the match embed the portrait itself.

The worker tests run a real Celery worker (the real Dlib model) against the test PostgreSQL and Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from registration import crypto, services
from registration.face_matching.base import FaceBox, FaceEmbedding
from registration.models import Evidence, EvidenceKind, VerificationSession
from registration.services.judgement import BEFORE_MATCH
from registration.services.reference_embedding import (
    embedding_key,
    redis_client,
    reference_embedding_keep,
    reference_embedding_take,
    seal,
    unseal,
)
from registration.tasks import embed_reference, match_faces
from tests import factories
from tests.factories import store_live_frame
from tests.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
PHOTOS = Path("verification") / "deepface"
SAME_PERSON = ("img2.jpg", "img6.jpg")  # approved at the shipped thresholds (test_tasks)


def _session(
    make_session: Callable[..., VerificationSession], testdata: Path, portrait: str, live: str, *, state: str
) -> VerificationSession:
    """A session holding a portrait and a live frame, in ``state`` (no capture runs)."""
    session = make_session()
    content = (testdata / PHOTOS / portrait).read_bytes()
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=content, content_type="image/jpeg")
    store_live_frame(session, (testdata / PHOTOS / live).read_bytes())
    VerificationSession.objects.filter(pk=session.pk).update(
        state=state,
        liveness_passed=state == "liveness_passed",
    )
    factories.as_read_from_the_chip(session)
    session.refresh_from_db()
    return session


def _embedded_ahead(session: VerificationSession) -> VerificationSession:
    """The worker embeds the session's portrait ahead of the match, as during a challenge."""
    embed_reference.delay(str(session.pk))
    assert wait_until(lambda: _kept(session), timeout=120)
    return session


def _kept(session: VerificationSession) -> bool:
    return bool(redis_client().exists(embedding_key(session.pk)))


def _match_and_wait(session: VerificationSession, decision: str) -> VerificationSession:
    VerificationSession.objects.filter(pk=session.pk).update(state="liveness_passed", liveness_passed=True)
    match_faces.delay(str(session.pk))
    match_faces.delay(str(session.pk))  # twice: idempotent
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == decision, timeout=120)
    session.refresh_from_db()
    return session


def _database_holds(text: str, raw: bytes) -> list[str]:
    """Every column of every table of ours whose value contains ``text`` (as text) or ``raw`` (bytes)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'bytea')"
        )
        for table, column, data_type in cursor.fetchall():
            quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
            if data_type == "bytea":
                condition, needle = f"position(%s::bytea in {quoted_column}) > 0", raw
            else:
                condition, needle = f"position(%s in {quoted_column}::text) > 0", text  # type: ignore[assignment]
            # Names come from information_schema and are quoted: no outside input reaches the SQL.
            cursor.execute(f"SELECT count(*) FROM {quoted_table} WHERE {condition}", [needle])  # noqa: S608
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.mark.worker
@pytest.mark.model
def test_the_embedding_made_during_the_challenge_is_used_once_deleted_and_never_in_the_database(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    session = _session(make_session, testdata, *SAME_PERSON, state="liveness_running")
    portrait = (testdata / PHOTOS / SAME_PERSON[0]).read_bytes()
    embed_reference.delay(str(session.pk))  # twice: the second finds it kept and makes nothing
    _embedded_ahead(session)

    client = redis_client()
    sealed = client.get(embedding_key(session.pk))
    assert isinstance(sealed, bytes)
    assert 0 < client.ttl(embedding_key(session.pk)) <= (session.expires_at - timezone.now()).total_seconds() + 1
    embedding = unseal(sealed, session_id=session.pk, portrait=portrait)
    components = [repr(float(value)) for value in embedding.vector[:4]]
    assert not any(component.encode() in sealed for component in components)  # encrypted in Redis too
    assert sealed.startswith(b"test1:")  # the evidence key of the test settings

    session = _match_and_wait(session, "approved")
    assert session.match_detail["reference"] == "precomputed"
    assert not _kept(session)  # taken by the match
    assert session.match_distance is not None
    for component in (*components, f"{embedding.vector[0]:.6f}", f"{embedding.vector[1]:.6f}"):
        assert _database_holds(component, sealed[-32:]) == [], component
    kinds = set(Evidence.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds == {EvidenceKind.ID_PORTRAIT, EvidenceKind.LIVE_FRAME}


@pytest.mark.worker
@pytest.mark.model
def test_without_an_embedding_the_match_embeds_the_portrait_itself_with_the_same_distance(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    precomputed = _embedded_ahead(_session(make_session, testdata, *SAME_PERSON, state="liveness_running"))
    missing = _session(make_session, testdata, *SAME_PERSON, state="liveness_running")

    precomputed, missing = _match_and_wait(precomputed, "approved"), _match_and_wait(missing, "approved")

    assert (precomputed.match_detail["reference"], missing.match_detail["reference"]) == ("precomputed", "computed")
    assert missing.match_distance == precomputed.match_distance  # the same embedding, to the last bit
    assert missing.match_detail["timings_ms"]["embed_reference_ms"] > 0.0
    assert precomputed.match_detail["timings_ms"]["embed_reference_ms"] == 0.0


@pytest.mark.worker
@pytest.mark.model
def test_an_expired_embedding_is_not_there_and_the_match_computes_it(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    session = _embedded_ahead(_session(make_session, testdata, *SAME_PERSON, state="liveness_running"))
    redis_client().pexpire(embedding_key(session.pk), 1)  # its time to live runs out
    assert wait_until(lambda: not _kept(session), timeout=5)

    session = _match_and_wait(session, "approved")
    assert session.match_detail["reference"] == "computed"


@pytest.mark.worker
@pytest.mark.model
def test_an_embedding_of_a_replaced_portrait_is_never_used(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """Made from the customer's portrait; the portrait is then replaced by a stranger's: rejected."""
    session = _embedded_ahead(_session(make_session, testdata, *SAME_PERSON, state="liveness_running"))
    stranger = (testdata / PHOTOS / "img21.jpg").read_bytes()
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=stranger, content_type="image/jpeg")

    session = _match_and_wait(session, "rejected")
    assert session.match_detail["reference"] == "computed"
    assert not _kept(session)


@pytest.mark.worker
@pytest.mark.model
def test_the_challenge_start_starts_the_embedding_the_upload_and_consent_do_not_and_cancelling_deletes_it(
    celery_worker_process: Any, clerk: Any, testdata: Path
) -> None:
    """The clerk's photo comes before the consent: nothing embeds it until the challenge's video flows."""
    created_session = factories.make_session(clerk=clerk, **factories.SPECIMEN_PASSPORT)
    specimen = (testdata / "id_documents" / "100_pass-chn.jpg").read_bytes()
    services.document_upload(session_id=created_session.pk, actor=clerk, data=specimen, source="photo")
    assert services.reference_embed(session_id=created_session.pk) is False  # no embedding before the consent
    services.consent_record(session_id=created_session.pk, actor=clerk, consent_version="3", language="en")
    assert services.reference_embed(session_id=created_session.pk) is False  # nor before the challenge
    assert not _kept(created_session)

    services.capture_start(session_id=created_session.pk, actor=clerk)
    services.reference_embed_ahead(session_id=created_session.pk)  # the capture answered the offer
    assert wait_until(lambda: _kept(created_session), timeout=120)
    assert services.reference_embed(session_id=created_session.pk) is True  # kept: not made again

    services.session_cancel(session_id=created_session.pk, actor=clerk)
    assert not _kept(created_session)


def _embedding() -> FaceEmbedding:
    return FaceEmbedding(np.linspace(-0.2, 0.2, 128), FaceBox(10, 20, 90, 90, 0.9), "dlib", 1.0, 2.0)


def test_an_embedding_written_after_the_match_began_is_deleted_at_once(
    make_session: Callable[..., VerificationSession],
) -> None:
    session = make_session()
    VerificationSession.objects.filter(pk=session.pk).update(state="matching")
    kept = reference_embedding_keep(session=session, portrait=b"jpeg", embedding=_embedding(), made_in=BEFORE_MATCH)
    assert kept is False
    assert not _kept(session)
    assert services.reference_embed(session_id=session.pk) is False  # nothing to make once the match began


def test_an_embedding_opens_only_for_its_session_and_its_exact_portrait(
    make_session: Callable[..., VerificationSession],
) -> None:
    session, other = make_session(), make_session()
    embedding = _embedding()
    sealed = seal(embedding, session_id=session.pk, portrait=b"portrait")

    opened = unseal(sealed, session_id=session.pk, portrait=b"portrait")
    assert np.array_equal(opened.vector, embedding.vector)
    assert (opened.face, opened.detector) == (embedding.face, embedding.detector)
    for session_id, portrait in ((other.pk, b"portrait"), (session.pk, b"portrait, retaken")):
        with pytest.raises(crypto.DecryptionFailed):
            unseal(sealed, session_id=session_id, portrait=portrait)

    redis_client().set(embedding_key(session.pk), sealed)
    assert reference_embedding_take(session_id=session.pk, portrait=b"portrait, retaken") is None
    assert not _kept(session)  # a stale one is removed too, never left for later
    assert json.dumps(float(embedding.vector[1])).encode() not in sealed
