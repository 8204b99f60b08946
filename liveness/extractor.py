"""Landmark extraction: one camera frame in, one `FrameFeatures` out (mediapipe face mesh).

One `LandmarkExtractor` per session (or per worker thread serving one session at a time): the
face mesh runs in tracking mode and the optical-flow step compares each frame with the one
before, so frames of two sessions must never be interleaved on one instance.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from .config import LivenessConfig
from .eye_appearance import EyeAppearance, texture_motion
from .features import FrameFeatures, Point, Quality
from .landmarks import (
    ANCHOR_INDICES,
    LEFT_EYE,
    RIGHT_EYE,
    Mesh,
    anchor_points,
    eye_aspect_ratio,
    face_signature,
    head_pose,
    rounded_points,
)
from .mediapipe_graph import FaceMeshGraph
from .quality import assess_quality

Frame = npt.NDArray[np.uint8]
ColorOrder = Literal["bgr", "rgb"]

_SHARPNESS_WIDTH = 128
_LOST_POINT: Point = (-1.0, -1.0)
_FLOW_WINDOW = (15, 15)
_FLOW_MARGIN = 48  # px around the anchors: the 15 px window at pyramid level 2 reaches ~30 px
_ANCHOR_LIST = list(ANCHOR_INDICES)
# Skin patches centred between two planar-check anchors (indices into ANCHOR_INDICES), so they can
# be found again from a trace frame's anchors: mid forehead (10-168), the cheeks (93-98, 323-327).
_SKIN_ANCHOR_PAIRS = ((4, 3), (14, 22), (15, 23))
_SKIN_PATCH = 0.06  # half the side of a skin patch, as a fraction of the face's width
_BACKDROP_PATCH = 0.08  # side of a corner patch, as a fraction of the frame's width


class LandmarkExtractor:
    """Measures one face per frame: eye ratios, head pose, quality, anchors and their flow.

    Frames are uint8 arrays of shape (height, width, 3), in BGR order by default (OpenCV,
    PyAV's `to_ndarray(format="bgr24")`) or RGB with `color="rgb"`. Nothing is stored
    beyond the previous grey frame needed for the optical flow and the eye patches of the last
    0.4 s (`liveness.eye_appearance`); nothing is written anywhere.
    """

    def __init__(self, config: LivenessConfig | None = None, *, color: ColorOrder = "bgr") -> None:
        import mediapipe as mp  # heavy import, kept out of the engine's import path

        self._config = config or LivenessConfig()
        self._color = color
        self._mesh = FaceMeshGraph()
        self._detector: Any = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.6)
        self._frames_seen = 0
        self._face_count = 1
        self._previous: tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]] | None = None
        self._eyes = EyeAppearance()
        self._light = False

    @property
    def color(self) -> ColorOrder:
        """The channel order of the frames this extractor takes."""
        return self._color

    def close(self) -> None:
        """Release the mediapipe graphs."""
        self._mesh.close()
        self._detector.close()

    def __enter__(self) -> LandmarkExtractor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def reset(self, *, light: bool = False) -> None:
        """Start a new stream: forget the tracked face and the previous frame. With `light` (a
        plan with a light step) the frames' skin and backdrop colours are measured too."""
        self._light = light
        self._mesh.reset()
        self._previous = None
        self._eyes.reset()
        self._frames_seen = 0

    def extract(self, frame: Frame, t: float) -> FrameFeatures:
        """Measure one frame taken at media time `t` (seconds)."""
        rgb = frame if self._color == "rgb" else np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)
        gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        height, width = gray.shape
        faces = self._mesh.landmark_lists(rgb)
        digest = _digest(gray)
        if not faces:
            self._previous = None
            self._eyes.reset()
            return FrameFeatures(
                t=t, n_faces=0, quality=Quality.NO_FACE, frame_width=width, frame_height=height, digest=digest
            )
        mesh = _mesh_array(faces[0], width, height)
        n_faces = self._count_faces(rgb)
        seeds = None if self._previous is None else self._previous[1]
        flow = self._track(gray, mesh)
        eye_change = self._eyes.measure(t, gray, mesh, texture_motion(seeds, flow))
        features = _measure(mesh, gray, n_faces, flow, eye_change, t, digest, self._config)
        if self._light:
            skin, backdrop = skin_and_backdrop(rgb, features.anchors, features.face_width)
            features = dataclasses.replace(features, skin=skin, backdrop=backdrop)
        return features

    def _count_faces(self, rgb: Frame) -> int:
        """Faces in view, re-checked every few frames (the mesh tracks only one face)."""
        if self._frames_seen % self._config.multi_face_check_every == 0:
            small = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
            detections = self._detector.process(small).detections
            self._face_count = max(1, len(detections or ()))
        self._frames_seen += 1
        return self._face_count

    def _track(self, gray: npt.NDArray[np.uint8], mesh: Mesh) -> tuple[Point, ...]:
        """Where the previous frame's anchors went in this frame, by pyramidal optical flow.

        The flow follows the image texture, not the face model, so for a flat photo the
        tracked points obey a homography exactly, which the engine tests. It runs on the
        region around the face in both frames (the pyramids of a whole 640x480 frame cost
        four times as much and the background is never looked at).
        """
        anchors = mesh[_ANCHOR_LIST, :2].astype(np.float32)
        previous, self._previous = self._previous, (gray, anchors)
        if previous is None:
            return ()
        previous_gray, seeds = previous
        height, width = gray.shape
        corners = np.concatenate((seeds, anchors))
        margin = _FLOW_MARGIN
        x0 = max(int(corners[:, 0].min()) - margin, 0)
        y0 = max(int(corners[:, 1].min()) - margin, 0)
        x1 = min(int(corners[:, 0].max()) + margin + 1, width)
        y1 = min(int(corners[:, 1].max()) + margin + 1, height)
        if x1 - x0 < _FLOW_WINDOW[0] or y1 - y0 < _FLOW_WINDOW[1]:
            return tuple(_LOST_POINT for _ in _ANCHOR_LIST)
        offset = np.array([x0, y0], np.float32)
        local = (seeds - offset).reshape(-1, 1, 2)
        tracked, status, _ = cv2.calcOpticalFlowPyrLK(
            previous_gray[y0:y1, x0:x1],
            gray[y0:y1, x0:x1],
            local,
            np.empty_like(local),
            winSize=_FLOW_WINDOW,
            maxLevel=2,
        )
        points = (np.asarray(tracked).reshape(-1, 2) + offset).astype(np.float64)  # added in float32
        lost = np.asarray(status).ravel() == 0
        points[lost] = _LOST_POINT
        return rounded_points(points, 1)


# A serialised NormalizedLandmark with x, y, z set: field tag + length, then three
# (tag, float32) fields. Reading the bytes with numpy is ~20x faster than 478 x 3 attribute reads.
_LANDMARK_BYTES = 17
_TAG_COLUMNS = [0, 1, 2, 7, 12]
_TAGS = np.array([0x0A, 0x0F, 0x0D, 0x15, 0x1D], np.uint8)  # message(len 15), x, y, z
_LANDMARK_DTYPE = np.dtype({"names": ["x", "y", "z"], "formats": ["<f4"] * 3, "offsets": [3, 8, 13], "itemsize": 17})


def _mesh_array(data: bytes, width: int, height: int) -> Mesh:
    """The (478, 3) mesh in pixels (z scaled like x) from a serialised NormalizedLandmarkList."""
    count = len(data) // _LANDMARK_BYTES
    if count and len(data) == count * _LANDMARK_BYTES:
        tags = np.frombuffer(data, np.uint8).reshape(count, _LANDMARK_BYTES)[:, _TAG_COLUMNS]
        if (tags == _TAGS).all():
            raw = np.frombuffer(data, dtype=_LANDMARK_DTYPE)
            mesh = np.empty((count, 3), np.float64)
            mesh[:, 0], mesh[:, 1], mesh[:, 2] = raw["x"], raw["y"], raw["z"]
            mesh *= (width, height, width)
            return mesh
    # Any other layout (a landmark with visibility set, say): let protobuf parse it.
    from mediapipe.framework.formats import landmark_pb2

    landmarks = landmark_pb2.NormalizedLandmarkList.FromString(data).landmark
    return np.array([(point.x * width, point.y * height, point.z * width) for point in landmarks], dtype=np.float64)


def _digest(frame: npt.NDArray[np.uint8]) -> str:
    """A short hash of a subsample of the pixels (of the grey frame: a third of the bytes of the
    colour one, and a repeated frame is a repeated grey frame): exact repeats give the same digest."""
    height, width = frame.shape[:2]
    # Every 6th pixel of every 6th row; cv2's nearest-neighbour gather is 3x faster than numpy's strided copy.
    sample = cv2.resize(frame, (max(width // 6, 1), max(height // 6, 1)), interpolation=cv2.INTER_NEAREST)
    return hashlib.blake2b(sample.tobytes(), digest_size=8).hexdigest()


def _measure(
    mesh: Mesh,
    gray: npt.NDArray[np.uint8],
    n_faces: int,
    flow: tuple[Point, ...],
    eye_change: tuple[float, float],
    t: float,
    digest: str,
    config: LivenessConfig,
) -> FrameFeatures:
    height, width = gray.shape
    x0, y0 = float(mesh[:, 0].min()), float(mesh[:, 1].min())
    x1, y1 = float(mesh[:, 0].max()), float(mesh[:, 1].max())
    cut_off = x0 < 0 or y0 < 0 or x1 > width or y1 > height
    crop = gray[max(int(y0), 0) : max(int(y1), 1), max(int(x0), 0) : max(int(x1), 1)]
    brightness = float(cv2.mean(crop)[0]) if crop.size else 0.0
    sharpness = _sharpness(crop)
    face_size = (x1 - x0) / width
    yaw, pitch, roll = head_pose(mesh)
    quality = assess_quality(
        n_faces=n_faces, cut_off=cut_off, face_size=face_size, brightness=brightness, sharpness=sharpness, config=config
    )
    return FrameFeatures(
        t=t,
        n_faces=n_faces,
        quality=quality,
        frame_width=width,
        frame_height=height,
        box=(round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)),
        ear_left=round(eye_aspect_ratio(mesh, LEFT_EYE), 4),
        ear_right=round(eye_aspect_ratio(mesh, RIGHT_EYE), 4),
        eye_change=eye_change,
        yaw=round(yaw, 2),
        pitch=round(pitch, 2),
        roll=round(roll, 2),
        brightness=round(brightness, 1),
        sharpness=round(sharpness, 1),
        face_size=round(face_size, 4),
        anchors=anchor_points(mesh),
        flow=flow,
        signature=face_signature(mesh),
        digest=digest,
    )


def skin_and_backdrop(
    rgb: Frame, anchors: tuple[Point, ...], face_width: float
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean RGB of three skin patches (forehead, cheeks) and of the frame's two top corners.

    Small patches (about 1 % of the frame in all): the screen's light reaches the face a
    forearm away, not the room behind it (`liveness.light`). The skin patches sit between
    two of the frame's anchors (`FrameFeatures.anchors`)."""
    width = rgb.shape[1]
    half = max(int(_SKIN_PATCH * face_width), 2)
    skin = np.zeros(3)
    for first, second in _SKIN_ANCHOR_PAIRS:
        x = int((anchors[first][0] + anchors[second][0]) / 2)
        y = int((anchors[first][1] + anchors[second][1]) / 2)
        patch = rgb[max(y - half, 0) : max(y + half, 1), max(x - half, 0) : max(x + half, 1)]
        skin += cv2.mean(patch)[:3] if patch.size else (0.0, 0.0, 0.0)
    side = max(int(_BACKDROP_PATCH * width), 4)
    margin = side // 4
    corners = (
        rgb[margin : margin + side, margin : margin + side],
        rgb[margin : margin + side, -margin - side : -margin],
    )
    backdrop = np.add(cv2.mean(corners[0])[:3], cv2.mean(corners[1])[:3]) / 2.0
    return tuple(round(float(v), 2) for v in skin / len(_SKIN_ANCHOR_PAIRS)), tuple(
        round(float(v), 2) for v in backdrop
    )


def _sharpness(crop: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian on the face scaled to a fixed width (size-independent).

    Scaled by an integer area average (OpenCV's fast path) and then bilinearly to exactly
    128 px: a quarter of the time of one fractional area resize.
    """
    height, width = crop.shape
    if height < 8 or width < 8:
        return 0.0
    factor = width // _SHARPNESS_WIDTH
    if factor >= 2:
        crop = np.asarray(
            cv2.resize(
                crop[: height // factor * factor, : width // factor * factor],
                (width // factor, height // factor),
                interpolation=cv2.INTER_AREA,
            ),
            dtype=np.uint8,
        )
    scale = _SHARPNESS_WIDTH / crop.shape[1]
    resized = cv2.resize(crop, (_SHARPNESS_WIDTH, max(int(crop.shape[0] * scale), 8)), interpolation=cv2.INTER_LINEAR)
    _mean, deviation = cv2.meanStdDev(cv2.Laplacian(resized, cv2.CV_16S))
    return float(deviation[0, 0]) ** 2
