"""The prompt-following customer of bench/actors/customer.py as the browser's camera.

The split: Python (this module and `Customer`) renders the customer's segments from the shared
footage to JPEG frames, served to the page by a Playwright route on the server's own origin, and
decides what the customer does — the segment for each prompt (`respond`) and the reaction delay
after each prompt (0.3-1.0 s, drawn from the test's seeded random). `customer_camera.js`, injected
before the page's scripts, replaces `getUserMedia` with a canvas stream and only plays what it was
told, switching segment when the page acknowledges a prompt (`prompt_shown`).

With `light=True` the camera is also the actors' `LitCamera`: the idle segment is rendered once more
under each colour of the light step's palette (tint, gain drift and sensor noise by `LitCamera`),
and the script plays the one for the colour the page's light overlay showed `latency` ago."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import cv2

from bench.actors import customer as actors
from liveness.light import PALETTE, colour_hex

ROUTE = "/__e2e_customer__/"
SEGMENT_NAMES = ("idle", "blink", "turn_left", "turn_right")
SCRIPT = Path(__file__).with_name("customer_camera.js")
FOOTAGE = actors.ENCODED_FOOTAGE  # bench/actors/customer.py says why, and at what threshold


@cache
def rendered_segments() -> dict[str, tuple[bytes, ...]]:
    """Each segment's frames as JPEG (the same frames the engine tests feed to the session)."""
    segments: dict[str, tuple[bytes, ...]] = {}
    for name in SEGMENT_NAMES:
        segments[name] = tuple(_jpeg(frame) for frame in actors.segment_frames(name, FOOTAGE))
    return segments


def _jpeg(frame: Any) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise RuntimeError("cannot encode a customer frame")
    return bytes(jpeg.tobytes())


def lit_segments(camera: actors.LitCamera) -> dict[str, tuple[bytes, ...]]:
    """The idle segment as `camera` films it under each colour of the palette ("lit-rrggbb")."""
    idle = actors.segment_frames("idle", FOOTAGE)
    return {
        f"lit-{colour_hex(code)[1:]}": tuple(_jpeg(camera.under(frame, colour_hex(code))) for frame in idle)
        for code in PALETTE
    }


def install(
    page_or_context: Any,
    server_url: str,
    *,
    seed: int,
    respond: Callable[[str], str | None] = actors.follow,
    steps: int = 12,
    light: bool = False,
) -> dict[str, object]:
    """Give every page of `page_or_context` the customer as its camera (lit by the screen with
    `light`); returns the directions."""
    segments = dict(rendered_segments())
    rng = random.Random(seed)
    customer = actors.Customer(rng, respond=respond, source=FOOTAGE)
    width, height = actors.FRAME_SIZE
    directions: dict[str, object] = {**customer.directions(steps), "light_latency": None}
    if light:
        camera = actors.LitCamera(customer, rng)
        segments.update(lit_segments(camera))
        directions["light_latency"] = round(camera.latency, 3)
        directions["light_strength"] = round(camera.strength, 3)
    directions |= {
        "base": ROUTE,
        "counts": {name: len(frames) for name, frames in segments.items()},
        "fps": actors.FPS,
        "width": width,
        "height": height,
    }

    def serve(route: Any) -> None:
        name, index = route.request.url.split(ROUTE, 1)[1].removesuffix(".jpg").split("/")
        route.fulfill(status=200, content_type="image/jpeg", body=segments[name][int(index)])

    page_or_context.route(f"{server_url}{ROUTE}**", serve)
    page_or_context.add_init_script(script=SCRIPT.read_text().replace("__DIRECTIONS__", json.dumps(directions)))
    return directions
