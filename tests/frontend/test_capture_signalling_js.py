"""The live check's connection (frontend/static/frontend/capture_signalling.js), run in Node with a
fake WebSocket, peer connection and clock: the offer waits for the ICE candidates (at most 3 s),
messages of a replaced socket are dropped, the prompt is acknowledged after the next paint and only
on an open socket, and a new camera replaces the track in flight and stops the old one."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.environment import PROJECT_ROOT, needs_tool

SIGNALLING = PROJECT_ROOT / "frontend" / "static" / "frontend" / "capture_signalling.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const { CaptureLink } = await import(process.argv[1]);
const scenario = process.argv[2];
const log = [];
let timers = [];
const frames = [];
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 1; this.listeners = {}; }
  addEventListener(kind, fn) { (this.listeners[kind] ||= []).push(fn); }
  emit(kind, data) { for (const fn of this.listeners[kind] || []) fn({ data: JSON.stringify(data) }); }
  send(text) { log.push(["sent", this.url, JSON.parse(text)]); }
  close() { this.readyState = 3; log.push(["closed", this.url]); }
}
const track = (id) => ({ id, kind: "video", stop: () => log.push(["stopped", id]) });
const stream = (id) => { const t = track(id); return { getVideoTracks: () => [t], getTracks: () => [t] }; };
class FakePeer {
  constructor(config) {
    this.config = config; this.iceGatheringState = "gathering"; this.listeners = []; this.senders = [];
  }
  addTrack(t) {
    const sender = { track: t, replaceTrack: async (n) => { sender.track = n; log.push(["replaced", n.id]); } };
    this.senders.push(sender);
    return sender;
  }
  getSenders() { return this.senders; }
  async createOffer() { return { type: "offer", sdp: "draft" }; }
  async setLocalDescription(d) { this.localDescription = { sdp: d.sdp + "+candidates" }; }
  async setRemoteDescription(d) { log.push(["answer", d.sdp]); }
  addEventListener(kind, fn) { this.listeners.push(fn); }
  gather() { this.iceGatheringState = "complete"; this.listeners.forEach((fn) => fn()); }
  close() { log.push(["peer closed"]); }
}
let peer = null;
const link = new CaptureLink({
  iceServers: [{ urls: "stun:example" }],
  prepareSender: async (sender) => log.push(["limited", sender.track.id]),
  makeSocket: (url) => new FakeSocket(url),
  makePeer: (config) => (peer = new FakePeer(config)),
  timers: {
    setTimeout: (fn, ms) => { const t = { ms, fn }; timers.push(t); return t; },
    clearTimeout: (t) => { timers = timers.filter((x) => x !== t); },
  },
  nextFrame: (fn) => frames.push(fn),
});
const tick = () => new Promise((resolve) => setImmediate(resolve));
const received = [];
if (scenario === "offer") {
  link.open("ws/1", (m) => received.push(m));
  await link.useCamera(stream("front"));
  const sent = link.sendOffer();
  await tick(); await tick();
  log.push(["waiting", timers.map((t) => t.ms)]);
  peer.gather();
  log.push(["offer sent", await sent, timers.length]);
  await link.accept("answer-sdp");
  await link.useCamera(stream("usb"));
} else if (scenario === "timeout") {
  link.open("ws/1", () => {});
  await link.useCamera(stream("front"));
  const sent = link.sendOffer();
  await tick(); await tick();
  timers.shift().fn();
  log.push(["offer sent", await sent]);
} else if (scenario === "sockets") {
  link.open("ws/1", (m) => received.push(["first", m.type]));
  const first = link.socket;
  link.open("ws/2", (m) => received.push(["second", m.type]));
  first.emit("message", { type: "ended" });
  link.socket.emit("message", { type: "ready" });
  link.promptShown(2);
  log.push(["before paint"]);
  frames.shift()();
  link.promptShown(3);
  link.socket.readyState = 3;
  frames.shift()();
  link.close();
}
console.log(JSON.stringify({ log, received }));
"""


def run(scenario: str) -> dict[str, Any]:
    result = subprocess.run(
        [NODE or "node", "--input-type=module", "-e", SCRIPT, SIGNALLING.as_uri(), scenario],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_the_offer_carries_the_candidates_and_a_new_camera_replaces_the_track() -> None:
    log = run("offer")["log"]

    assert log == [
        ["limited", "front"],
        ["waiting", [3000]],  # nothing is sent while the candidates are gathered
        ["sent", "ws/1", {"type": "offer", "sdp": "draft+candidates"}],
        ["offer sent", True, 0],
        ["answer", "answer-sdp"],
        ["replaced", "usb"],
        ["stopped", "front"],
    ]


def test_the_offer_goes_without_all_candidates_after_three_seconds() -> None:
    offer = {"type": "offer", "sdp": "draft+candidates"}
    assert run("timeout")["log"][-2:] == [["sent", "ws/1", offer], ["offer sent", True]]


def test_a_replaced_socket_is_not_heard_and_the_prompt_is_acknowledged_after_the_paint() -> None:
    result = run("sockets")

    assert result["received"] == [["second", "ready"]]
    assert result["log"] == [
        ["before paint"],
        ["sent", "ws/2", {"type": "prompt_shown", "step_index": 2}],
        ["closed", "ws/2"],  # step 3's acknowledgement found the socket closed: nothing sent
    ]
