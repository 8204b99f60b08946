"""The pages' push socket (`liveSocket` in frontend/static/frontend/api.js), run in Node with a fake
WebSocket and clock: a dropped socket re-opens, and one closed because the customer holds the tablet
(4403, capture/user_access.py) reloads the page instead, which the server answers with the
hand-back screen."""

from __future__ import annotations

import json
import shutil
import subprocess

from capture.user_access import CLOSE_CUSTOMER_MODE
from tests.environment import PROJECT_ROOT, needs_tool

API_JS = PROJECT_ROOT / "frontend" / "static" / "frontend" / "api.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const log = [];
globalThis.window = { location: { protocol: "https:", host: "tablet.test", reload: () => log.push("reload") } };
const sockets = [];
globalThis.WebSocket = class {
  constructor(url) { this.url = url; this.listeners = {}; sockets.push(this); log.push("open " + url); }
  addEventListener(kind, fn) { (this.listeners[kind] ||= []).push(fn); }
  emit(kind, event) { for (const fn of this.listeners[kind] || []) fn(event); }
};
const timers = [];
globalThis.setTimeout = (fn) => timers.push(fn);
const { liveSocket } = await import(process.argv[1]);
liveSocket("/ws/dashboard/", () => {});
sockets[0].emit("close", { code: 1006 });
while (timers.length) timers.shift()();
sockets[1].emit("close", { code: Number(process.argv[2]) });
while (timers.length) timers.shift()();
console.log(JSON.stringify(log));
"""


def test_a_dropped_socket_reopens_and_one_refused_for_customer_mode_reloads_the_page() -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT, API_JS.as_uri(), str(CLOSE_CUSTOMER_MODE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(result.stdout) == ["open wss://tablet.test/ws/dashboard/"] * 2 + ["reload"]
