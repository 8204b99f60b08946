"""Camera choice on the tablet (frontend/static/frontend/camera.js), run in Node with a fake
`navigator.mediaDevices` and `localStorage`: the remembered camera per purpose, and what happens
when it is unplugged."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.environment import PROJECT_ROOT, needs_tool

CAMERA = PROJECT_ROOT / "frontend" / "static" / "frontend" / "camera.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const [plugged, stored, purpose] = JSON.parse(process.argv[1]);
const storage = new Map(Object.entries(stored));
const asked = [];
globalThis.window = {
  gettext: (text) => text,
  localStorage: {
    getItem: (key) => (storage.has(key) ? storage.get(key) : null),
    setItem: (key, value) => storage.set(key, value),
    removeItem: (key) => storage.delete(key),
  },
};
Object.defineProperty(globalThis, "navigator", { value: { mediaDevices: {
  enumerateDevices: async () => plugged.map((deviceId) => ({ kind: "videoinput", deviceId, label: deviceId })),
  getUserMedia: async ({ video }) => {
    asked.push(video);
    const wanted = video.deviceId && video.deviceId.exact;
    if (wanted && !plugged.includes(wanted)) {
      const error = new Error("gone"); error.name = "OverconstrainedError"; throw error;
    }
    return { id: wanted || "default" };
  },
} } });
const camera = await import(process.argv[2]);
const stream = await camera.openCamera(purpose, { width: { ideal: 640 } });
console.log(JSON.stringify({ stream: stream.id, asked, stored: Object.fromEntries(storage) }));
"""


def run(plugged: list[str], stored: dict[str, str], purpose: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(NODE), "--input-type=module", "-e", SCRIPT, json.dumps([plugged, stored, purpose]), CAMERA.as_uri()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_without_a_choice_the_face_uses_the_front_and_the_document_the_rear_camera() -> None:
    face = run(["front", "rear"], {}, "face")
    document = run(["front", "rear"], {}, "document")

    assert face["asked"] == [{"width": {"ideal": 640}, "facingMode": {"ideal": "user"}}]
    assert document["asked"][0]["facingMode"] == {"ideal": "environment"}


def test_the_remembered_camera_is_used_for_its_purpose_only() -> None:
    stored = {"shiming.camera.face": "usb"}
    face = run(["front", "usb"], stored, "face")
    document = run(["front", "usb"], stored, "document")

    assert face["stream"] == "usb"
    assert face["asked"] == [{"width": {"ideal": 640}, "deviceId": {"exact": "usb"}}]
    assert "deviceId" not in document["asked"][0]


def test_an_unplugged_camera_is_forgotten_and_the_default_opens() -> None:
    result = run(["front"], {"shiming.camera.face": "usb"}, "face")

    assert result["stream"] == "default"
    assert [list(video) for video in result["asked"]] == [["width", "deviceId"], ["width", "facingMode"]]
    assert result["stored"] == {}


SENDER_SCRIPT = """
const [settings, encodings, refuse] = JSON.parse(process.argv[1]);
globalThis.window = { gettext: (text) => text };
const camera = await import(process.argv[2]);
const sent = [];
const sender = {
  track: { getSettings: () => settings },
  getParameters: () => ({ transactionId: "t1", encodings }),
  setParameters: async (params) => {
    if (refuse) throw new Error("InvalidStateError");
    sent.push(params);
  },
};
const applied = await camera.limitFaceSender(sender, 15, 1000);
console.log(JSON.stringify({ applied, sent, video: camera.faceVideo(15) }));
"""


def limit_sender(settings: dict[str, int], encodings: list[dict[str, Any]], *, refuse: bool = False) -> dict[str, Any]:
    arguments = json.dumps([settings, encodings, refuse])
    result = subprocess.run(
        [str(NODE), "--input-type=module", "-e", SENDER_SCRIPT, arguments, CAMERA.as_uri()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_the_face_camera_and_encoder_are_asked_for_the_frame_budget_and_no_larger_picture() -> None:
    result = limit_sender({"width": 1280, "height": 720}, [])

    assert result["video"]["frameRate"] == {"ideal": 15}
    assert (result["video"]["width"], result["video"]["height"]) == ({"ideal": 640}, {"ideal": 480})
    assert result["applied"] is True
    [params] = result["sent"]
    assert params["transactionId"] == "t1"  # the parameters the browser gave, changed, not new ones
    assert params["encodings"] == [{"maxFramerate": 15, "maxBitrate": 1_000_000, "scaleResolutionDownBy": 2}]


def test_a_640_camera_is_not_scaled_and_a_refusal_still_lets_the_video_through() -> None:
    assert limit_sender({"width": 640}, [{"active": True}])["sent"][0]["encodings"][0]["scaleResolutionDownBy"] == 1
    assert limit_sender({"width": 640}, [{}], refuse=True) == {
        "applied": False,
        "sent": [],
        "video": limit_sender({}, [])["video"],
    }
