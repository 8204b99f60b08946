"""The production matcher with the real Dlib model on the shared photos."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from registration.face_matching.base import (
    ImageRole,
    NoFaceFound,
    SeveralFaces,
    UnreadableImage,
    get_matcher,
    reset_matcher,
)
from registration.face_matching.deepface_matcher import DLIB_SCALE, DeepFaceMatcher
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide

from .conftest import resize_to_height, side_by_side

pytestmark = pytest.mark.model

Loader = Callable[[str], np.ndarray]
PHOTOS = "verification/deepface/"
# img3 and img12 show the same person; img48 someone else (pairs.csv lines 2 and 139).
PERSON, SAME_PERSON_AGAIN, STRANGER = PHOTOS + "img3.jpg", PHOTOS + "img12.jpg", PHOTOS + "img48.jpg"
# The Dlib matcher's calibrated bands (DLIB_SCALE): the matcher reports only the distance.
POLICY = MatchPolicy(accept_threshold=DLIB_SCALE.accept, reject_threshold=DLIB_SCALE.reject)


def face_crop(matcher: DeepFaceMatcher, image: np.ndarray) -> np.ndarray:
    return matcher.locate_document_portrait(image).image


# The closest same-person pairs of pairs.csv (distances 0.26-0.29): below the calibrated threshold.
@pytest.mark.parametrize(
    ("reference", "probe"),
    [("img2.jpg", "img6.jpg"), ("img13.jpg", "img14.jpg"), ("img16.jpg", "img62.jpg"), ("img20.jpg", "img21.jpg")],
)
def test_same_person_is_approved(matcher: DeepFaceMatcher, load_image: Loader, reference: str, probe: str) -> None:
    result = matcher.match(load_image(PHOTOS + reference), load_image(PHOTOS + probe))

    assert decide(result.score, POLICY).band is DecisionBand.APPROVE
    assert result.model == "Dlib"


# Same person, photos years apart (0.35-0.62): the calibrated threshold sends them to a supervisor,
# never rejects them outright.
@pytest.mark.parametrize(
    ("reference", "probe"),
    [("img3.jpg", "img12.jpg"), ("img1.jpg", "img2.jpg"), ("img54.jpg", "img56.jpg"), ("img57.jpg", "img58.jpg")],
)
def test_same_person_far_apart_goes_to_review(
    matcher: DeepFaceMatcher, load_image: Loader, reference: str, probe: str
) -> None:
    result = matcher.match(load_image(PHOTOS + reference), load_image(PHOTOS + probe))

    assert decide(result.score, POLICY).band is DecisionBand.MANUAL_REVIEW


@pytest.mark.parametrize(
    ("reference", "probe"),
    [("img3.jpg", "img48.jpg"), ("img12.jpg", "img57.jpg"), ("img25.jpg", "img3.jpg"), ("img11.jpg", "img12.jpg")],
)
def test_different_people_are_not_approved(
    matcher: DeepFaceMatcher, load_image: Loader, reference: str, probe: str
) -> None:
    result = matcher.match(load_image(PHOTOS + reference), load_image(PHOTOS + probe))

    assert decide(result.score, POLICY).band is not DecisionBand.APPROVE


def test_encoded_bytes_give_the_same_distance_as_arrays(matcher: DeepFaceMatcher, testdata: Path) -> None:
    reference, probe = (testdata / PERSON).read_bytes(), (testdata / SAME_PERSON_AGAIN).read_bytes()
    from_arrays = matcher.match(
        cv2.imdecode(np.frombuffer(reference, np.uint8), cv2.IMREAD_COLOR),
        cv2.imdecode(np.frombuffer(probe, np.uint8), cv2.IMREAD_COLOR),
    )

    from_bytes = matcher.match(reference, probe)

    assert from_bytes.score == pytest.approx(from_arrays.score)


def test_result_reports_detectors_boxes_and_timings(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    reference = load_image(PERSON)

    result = matcher.match(reference, load_image(SAME_PERSON_AGAIN))

    assert (result.reference_detector, result.probe_detector) == ("dlib", "mediapipe")
    box = result.reference_face
    assert 0 <= box.x < box.x + box.w <= reference.shape[1]
    assert 0 <= box.y < box.y + box.h <= reference.shape[0]
    timings = result.timings
    parts = (
        timings.decode_ms,
        timings.detect_reference_ms,
        timings.detect_probe_ms,
        timings.embed_reference_ms,
        timings.embed_probe_ms,
    )
    assert all(part >= 0 for part in parts)
    assert sum(parts) <= timings.total_ms + 1


def test_frame_with_a_larger_stranger_compares_only_the_stranger(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    """Bare DeepFace.verify takes the closest of all face pairs and would accept this frame."""
    reference = load_image(PERSON)
    customer = resize_to_height(face_crop(matcher, load_image(SAME_PERSON_AGAIN)), 200)
    stranger = resize_to_height(face_crop(matcher, load_image(STRANGER)), 400)
    frame = side_by_side(stranger, customer)
    customer_alone = matcher.match(reference, customer)

    result = matcher.match(reference, frame)

    assert decide(customer_alone.score, POLICY).band is not DecisionBand.REJECT  # the customer is in the frame
    assert result.probe_face.x + result.probe_face.w <= 80 + stranger.shape[1] + 10  # the stranger's side
    assert decide(result.score, POLICY).band is not DecisionBand.APPROVE
    assert result.score > customer_alone.score


def test_frame_with_two_faces_of_similar_size_is_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    customer = resize_to_height(face_crop(matcher, load_image(SAME_PERSON_AGAIN)), 300)
    stranger = resize_to_height(face_crop(matcher, load_image(STRANGER)), 300)

    with pytest.raises(SeveralFaces) as raised:
        matcher.match(load_image(PERSON), side_by_side(customer, stranger))

    assert raised.value.role is ImageRole.PROBE


def test_image_without_a_face_is_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    rng = np.random.default_rng(4)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), (9, 9), 0)

    with pytest.raises(NoFaceFound) as raised:
        matcher.match(load_image(PERSON), noise)

    assert raised.value.role is ImageRole.PROBE
    assert raised.value.reason_code == "no_face_found"


@pytest.mark.parametrize("broken", [b"not an image", b"", np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4), np.float32)])
def test_unreadable_input_is_refused(matcher: DeepFaceMatcher, load_image: Loader, broken: object) -> None:
    with pytest.raises(UnreadableImage) as raised:
        matcher.match(broken, load_image(PERSON))  # type: ignore[arg-type]

    assert raised.value.role is ImageRole.REFERENCE


def test_get_matcher_builds_the_configured_class_once(settings: object, tmp_path: Path) -> None:
    settings.SHIMING_FACE_MATCHER = "registration.face_matching.deepface_matcher.DeepFaceMatcher"  # type: ignore[attr-defined]
    settings.DEEPFACE_HOME = str(tmp_path)  # type: ignore[attr-defined]
    reset_matcher()
    try:
        first = get_matcher()
        assert isinstance(first, DeepFaceMatcher)
        assert first is get_matcher()
        assert first.config.deepface_home == tmp_path
    finally:
        reset_matcher()


# --- several live frames --------------------------------------------------------------------------


def test_several_frames_take_the_best_frame_and_embed_the_reference_once(
    matcher: DeepFaceMatcher, load_image: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, customer, stranger = load_image(PERSON), load_image(SAME_PERSON_AGAIN), load_image(STRANGER)
    alone = [matcher.match(reference, frame).score for frame in (stranger, customer)]
    embedded: list[np.ndarray] = []
    embed_face = matcher.embed_face  # every face of a match goes through it once

    def counting(image: np.ndarray, face: object, points: object) -> np.ndarray:
        embedded.append(image)
        return embed_face(image, face, points)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher, "embed_face", counting)

    result = matcher.match(reference, [stranger, customer])

    assert len(embedded) == 3  # the reference once, each frame once
    assert embedded[0] is reference
    assert result.frame_scores == pytest.approx(alone)
    assert result.score == pytest.approx(min(alone))  # best of: FRAME_FUSION
    assert result.fusion == "best_of"
    assert result.probe_face == matcher.match(reference, customer).probe_face


def test_a_frame_without_a_face_is_skipped_when_another_has_one(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    blank = np.full((480, 640, 3), 200, np.uint8)
    single = matcher.match(load_image(PERSON), load_image(SAME_PERSON_AGAIN))

    result = matcher.match(load_image(PERSON), (blank, load_image(SAME_PERSON_AGAIN)))

    assert result.frames_without_face == 1
    assert result.score == pytest.approx(single.score)


def test_frames_without_any_face_are_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    blank = np.full((480, 640, 3), 200, np.uint8)

    with pytest.raises(NoFaceFound) as raised:
        matcher.match(load_image(PERSON), [blank, blank])

    assert raised.value.role is ImageRole.PROBE


def test_one_frame_with_two_faces_refuses_the_whole_match(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    customer = resize_to_height(face_crop(matcher, load_image(SAME_PERSON_AGAIN)), 300)
    stranger = resize_to_height(face_crop(matcher, load_image(STRANGER)), 300)

    with pytest.raises(SeveralFaces):
        matcher.match(load_image(PERSON), [load_image(SAME_PERSON_AGAIN), side_by_side(customer, stranger)])


def test_an_empty_list_of_frames_is_refused(matcher: DeepFaceMatcher, load_image: Loader) -> None:
    with pytest.raises(UnreadableImage):
        matcher.match(load_image(PERSON), [])


def test_a_reference_embedded_beforehand_gives_the_same_distance_and_no_reference_work(
    matcher: DeepFaceMatcher, load_image: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the product does: the portrait embedded while the customer does the challenge."""
    reference, customer, stranger = load_image(PERSON), load_image(SAME_PERSON_AGAIN), load_image(STRANGER)
    computed = matcher.match(reference, [customer, stranger])
    embedding = matcher.embed(reference, ImageRole.REFERENCE)
    embedded: list[np.ndarray] = []
    embed_face = matcher.embed_face

    def counting(image: np.ndarray, face: object, points: object) -> np.ndarray:
        embedded.append(image)
        return embed_face(image, face, points)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher, "embed_face", counting)

    precomputed = matcher.match(embedding, [customer, stranger])

    assert len(embedded) == 2  # the two frames only
    assert precomputed.frame_scores == computed.frame_scores  # to the last bit
    assert precomputed.score == computed.score
    assert (precomputed.reference_face, precomputed.reference_detector) == (
        computed.reference_face,
        computed.reference_detector,
    )
    assert precomputed.reference_precomputed
    assert not computed.reference_precomputed
    assert precomputed.timings.embed_reference_ms == precomputed.timings.detect_reference_ms == 0.0
    assert computed.timings.embed_reference_ms > 0.0
