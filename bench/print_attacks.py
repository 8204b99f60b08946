"""The shared test data's stills as prints, for the attack tests and `bench/blink_evidence.py`.
The attacks themselves are the product's (`liveness/print_attacks.py`, played by
`manage.py liveness_attacks`); they are re-exported here for the benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from liveness.print_attacks import (
    ATTACKS,
    FRAME_SIZE,
    Frame,
    as_print,
    attack_frames,
    handled_print,
    jittered_still,
    load_print,
    swung_print,
)

__all__ = [
    "ATTACKS",
    "FRAME_SIZE",
    "Frame",
    "as_print",
    "attack_frames",
    "handled_print",
    "jittered_still",
    "load_print",
    "load_still",
    "shared_stills",
    "swung_print",
]


def shared_stills(testdata: Path) -> list[Path]:
    """Every still photo of a face in the shared test data: CASIA, the celebrity photos, the NUAA
    prints, the document specimens (their portrait is the face) and the Silent-Face stills."""
    verification = testdata / "verification"
    stills = sorted((verification / "casia_facev5").glob("*/*.bmp"))
    stills += sorted((verification / "deepface").glob("*.jpg"))
    stills += sorted((verification / "nuaa").glob("*/print/*"))
    stills += sorted(path for path in (testdata / "id_documents").iterdir() if path.suffix in {".jpg", ".png"})
    stills += sorted((testdata / "spoof_images").glob("*.jpg"))
    return stills


def load_still(path: Path) -> Frame:
    """A shared still as a print (`load_print`), turned upright first where the file is stored on
    its side (the Silent-Face stills)."""
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(path)
    if path.parent.name == "spoof_images" and image.shape[1] > image.shape[0]:
        image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return as_print(np.asarray(image, dtype=np.uint8))
