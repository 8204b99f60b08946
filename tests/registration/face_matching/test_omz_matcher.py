"""The production matcher (Intel OMZ face-reidentification-retail-0095 on OpenVINO) with the real
model files on the shared photos: bands at its calibrated thresholds, the shared pipeline's rules
(one face, best of the frames, a reference embedded ahead), alignment, and missing files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from registration.face_matching.base import ImageRole, ModelUnavailable, NoFaceFound, SeveralFaces
from registration.face_matching.document import card_reader_chip
from registration.face_matching.omz_matcher import OMZ_SCALE, TEMPLATE, OmzConfig, OmzMatcher, similarity_transform
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide

from .conftest import resize_to_height, side_by_side

pytestmark = pytest.mark.model

Loader = Callable[[str], np.ndarray]
PHOTOS = "verification/deepface/"
PERSON, SAME_PERSON_AGAIN, STRANGER = PHOTOS + "img3.jpg", PHOTOS + "img12.jpg", PHOTOS + "img48.jpg"
POLICY = MatchPolicy(OMZ_SCALE.accept, OMZ_SCALE.reject, higher_is_closer=True)
NUAA = "verification/nuaa/"


def first_image(testdata: Path, folder: str) -> str:
    return str(sorted((testdata / folder).iterdir())[0].relative_to(testdata))


@pytest.mark.parametrize(
    ("reference", "probe"),
    [("img2.jpg", "img6.jpg"), ("img13.jpg", "img14.jpg"), ("img16.jpg", "img62.jpg"), ("img1.jpg", "img2.jpg")],
)
def test_same_person_is_approved(omz_matcher: OmzMatcher, load_image: Loader, reference: str, probe: str) -> None:
    result = omz_matcher.match(load_image(PHOTOS + reference), load_image(PHOTOS + probe))

    assert decide(result.score, POLICY).band is DecisionBand.APPROVE
    assert (result.score_metric, result.higher_is_closer) == ("cosine_similarity", True)
    assert result.model == "OMZ face-reidentification-retail-0095"


def test_same_person_years_apart_goes_to_a_supervisor_not_rejected(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    result = omz_matcher.match(load_image(PERSON), load_image(SAME_PERSON_AGAIN))  # the farthest celebrity pair

    assert decide(result.score, POLICY).band is DecisionBand.MANUAL_REVIEW


@pytest.mark.parametrize(
    ("reference", "probe"),
    [("img3.jpg", "img48.jpg"), ("img12.jpg", "img57.jpg"), ("img25.jpg", "img3.jpg"), ("img11.jpg", "img12.jpg")],
)
def test_different_people_are_not_approved(
    omz_matcher: OmzMatcher, load_image: Loader, reference: str, probe: str
) -> None:
    result = omz_matcher.match(load_image(PHOTOS + reference), load_image(PHOTOS + probe))

    assert decide(result.score, POLICY).band is not DecisionBand.APPROVE


def test_a_photographed_print_of_the_portrait_matches_the_live_customer(
    omz_matcher: OmzMatcher, load_image: Loader, testdata: Path
) -> None:
    """NUAA: a print frame as the document photo, a live frame as the customer; another person's
    print is not approved."""
    live = load_image(first_image(testdata, NUAA + "0001/live"))
    own_print = load_image(first_image(testdata, NUAA + "0001/print"))
    other_print = load_image(first_image(testdata, NUAA + "0002/print"))

    assert decide(omz_matcher.match(own_print, live).score, POLICY).band is DecisionBand.APPROVE
    assert decide(omz_matcher.match(other_print, live).score, POLICY).band is not DecisionBand.APPROVE


def test_encoded_bytes_give_the_same_score_as_arrays(
    omz_matcher: OmzMatcher, testdata: Path, load_image: Loader
) -> None:
    as_bytes = omz_matcher.match((testdata / PERSON).read_bytes(), (testdata / SAME_PERSON_AGAIN).read_bytes())
    as_arrays = omz_matcher.match(load_image(PERSON), load_image(SAME_PERSON_AGAIN))

    assert as_bytes.score == pytest.approx(as_arrays.score, abs=1e-6)


def test_several_frames_keep_the_highest_similarity(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    reference, customer, stranger = load_image(PERSON), load_image(SAME_PERSON_AGAIN), load_image(STRANGER)
    alone = [omz_matcher.match(reference, frame).score for frame in (stranger, customer)]

    result = omz_matcher.match(reference, [stranger, customer])

    assert result.frame_scores == pytest.approx(alone)
    assert result.score == pytest.approx(max(alone))  # a similarity: the best frame is the highest
    assert result.fusion == "best_of"


def test_a_reference_embedded_beforehand_gives_the_same_score(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    reference, customer = load_image(PERSON), load_image(SAME_PERSON_AGAIN)
    embedding = omz_matcher.embed(reference, ImageRole.REFERENCE)

    precomputed = omz_matcher.match(embedding, customer)

    assert embedding.vector.shape == (256,)
    assert precomputed.score == omz_matcher.match(reference, customer).score
    assert precomputed.reference_precomputed
    assert omz_matcher.similar(embedding, omz_matcher.embed(customer, ImageRole.PROBE)) == pytest.approx(
        precomputed.score
    )


def test_a_frame_with_two_faces_of_similar_size_is_refused(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    customer = resize_to_height(omz_matcher.locate_document_portrait(load_image(SAME_PERSON_AGAIN)).image, 300)
    stranger = resize_to_height(omz_matcher.locate_document_portrait(load_image(STRANGER)).image, 300)

    with pytest.raises(SeveralFaces):
        omz_matcher.match(load_image(PERSON), side_by_side(customer, stranger))


def test_an_image_without_a_face_is_refused(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    with pytest.raises(NoFaceFound) as raised:
        omz_matcher.match(load_image(PERSON), np.full((480, 640, 3), 200, np.uint8))

    assert raised.value.role is ImageRole.PROBE


def test_the_document_portrait_quality_uses_the_models_own_points(omz_matcher: OmzMatcher, load_image: Loader) -> None:
    quality = omz_matcher.check_document_portrait(load_image("verification/casia_facev5/001/001_0.bmp"))

    assert abs(quality.yaw) < 0.1
    assert abs(quality.roll_degrees) < 10


def test_the_similarity_transform_puts_the_five_points_on_the_template() -> None:
    template = TEMPLATE * 128
    angle = np.radians(17)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    seen = (template @ turn.T) * 2.5 + np.array([300.0, 120.0])  # the same face, turned, larger, elsewhere

    transform = similarity_transform(seen, template)

    mapped = seen @ transform[:, :2].T + transform[:, 2]
    assert mapped == pytest.approx(template, abs=1e-9)


def test_missing_model_files_are_named_with_the_command_that_installs_them(tmp_path: Path) -> None:
    matcher = OmzMatcher(OmzConfig(models_dir=tmp_path))

    with pytest.raises(ModelUnavailable, match=r"face-reidentification-retail-0095\.xml.*make models"):
        matcher.warm_up()


def test_every_document_specimen_gives_one_usable_portrait_and_chip(omz_matcher: OmzMatcher, testdata: Path) -> None:
    """The production upload path: the portrait found on each of the ten specimen pages, and the
    102x126 chip a card reader would give, pass the quality checks on the 0009 points."""
    pages = sorted(p for p in (testdata / "id_documents").iterdir() if p.suffix in {".jpg", ".png"})
    assert len(pages) == 10
    for page_path in pages:
        page = cv2.imread(str(page_path), cv2.IMREAD_COLOR)
        portrait = omz_matcher.locate_document_portrait(page)
        assert omz_matcher.check_document_portrait(portrait.image).face_width >= 36, page_path.name
        omz_matcher.check_document_portrait(card_reader_chip(page, portrait.face))
