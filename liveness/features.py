"""What the engine knows about one frame: plain numbers, JSON-serialisable, no pixels."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Point = tuple[float, float]


class Quality(StrEnum):
    """Frame quality state, as the extractor judges it."""

    OK = "ok"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    TOO_SMALL = "too_small"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BLURRED = "blurred"
    CUT_OFF = "cut_off"
    NOT_FRONTAL = "not_frontal"


# The hint code the page shows for each quality state.
QUALITY_HINTS: dict[Quality, str | None] = {
    Quality.OK: None,
    Quality.NO_FACE: "look_at_camera",
    Quality.MULTIPLE_FACES: "one_person_only",
    Quality.TOO_SMALL: "move_closer",
    Quality.TOO_DARK: "more_light",
    Quality.TOO_BRIGHT: "less_light",
    Quality.BLURRED: "hold_still",
    Quality.CUT_OFF: "look_at_camera",
    Quality.NOT_FRONTAL: "look_at_camera",
}


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """Features of one admitted frame.

    `t` is the frame's media time in seconds since the session's first frame. Coordinates are
    pixels of the unmirrored frame. `yaw` > 0 means the person turned to their own right (the
    face points toward the image's left); `pitch` > 0 means looking up; `roll` in degrees.
    `anchors` are the 2-D positions of the landmarks the planar-motion check uses and `flow`
    where the previous frame's anchors moved in this frame by optical flow ((-1, -1) for a
    point the flow lost; empty when there is no previous face), `signature`
    rotation-invariant 3-D proportions of the face used to notice an identity change, `digest`
    a short hash of the pixels to notice exactly repeated frames. `eye_change` is how much the
    (left, right) eye's pixels changed against the same eye 0.1-0.4 s before, the face's own
    motion taken out (`liveness.eye_appearance`; empty where it was not measured). `skin` and `backdrop` are
    mean RGB (0-255) of the cheek and forehead patches and of the frame's top corners, measured
    only when the plan has a light step (empty otherwise; see `liveness.light`).
    """

    t: float
    n_faces: int
    quality: Quality
    frame_width: int = 0
    frame_height: int = 0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    ear_left: float = 0.0
    ear_right: float = 0.0
    eye_change: tuple[float, ...] = ()
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    brightness: float = 0.0
    sharpness: float = 0.0
    face_size: float = 0.0
    anchors: tuple[Point, ...] = ()
    flow: tuple[Point, ...] = ()
    signature: tuple[float, ...] = ()
    digest: str = ""
    skin: tuple[float, ...] = ()
    backdrop: tuple[float, ...] = ()

    @property
    def has_face(self) -> bool:
        """True when one primary face was measured (whatever its quality)."""
        return self.n_faces > 0 and bool(self.anchors)

    @property
    def ear(self) -> float:
        """Mean eye aspect ratio of both eyes."""
        return (self.ear_left + self.ear_right) / 2.0

    @property
    def face_width(self) -> float:
        """Face box width in pixels."""
        return self.box[2]

    @property
    def face_center(self) -> Point:
        """Centre of the face box in pixels."""
        x, y, w, h = self.box
        return (x + w / 2.0, y + h / 2.0)

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-ready form (short keys: the trace holds one per admitted frame)."""
        data: dict[str, Any] = {
            "t": self.t,
            "n": self.n_faces,
            "q": self.quality.value,
            "fw": self.frame_width,
            "fh": self.frame_height,
            "box": list(self.box),
            "el": self.ear_left,
            "er": self.ear_right,
            "ec": list(self.eye_change),
            "yaw": self.yaw,
            "pitch": self.pitch,
            "roll": self.roll,
            "br": self.brightness,
            "sh": self.sharpness,
            "fs": self.face_size,
            "a": [list(point) for point in self.anchors],
            "f": [list(point) for point in self.flow],
            "sig": list(self.signature),
            "d": self.digest,
        }
        if self.skin:
            data["sk"], data["bg"] = list(self.skin), list(self.backdrop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameFeatures:
        """Inverse of `to_dict`."""
        box = tuple(float(value) for value in data["box"])
        return cls(
            t=float(data["t"]),
            n_faces=int(data["n"]),
            quality=Quality(data["q"]),
            frame_width=int(data["fw"]),
            frame_height=int(data["fh"]),
            box=(box[0], box[1], box[2], box[3]),
            ear_left=float(data["el"]),
            ear_right=float(data["er"]),
            eye_change=tuple(float(value) for value in data.get("ec", ())),
            yaw=float(data["yaw"]),
            pitch=float(data["pitch"]),
            roll=float(data["roll"]),
            brightness=float(data["br"]),
            sharpness=float(data["sh"]),
            face_size=float(data["fs"]),
            anchors=tuple((float(x), float(y)) for x, y in data["a"]),
            flow=tuple((float(x), float(y)) for x, y in data["f"]),
            signature=tuple(float(value) for value in data["sig"]),
            digest=str(data["d"]),
            skin=tuple(float(value) for value in data.get("sk", ())),
            backdrop=tuple(float(value) for value in data.get("bg", ())),
        )
