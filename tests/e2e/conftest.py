"""The end-to-end rig: the real ASGI app (Daphne) and a real Celery worker as subprocesses on the
test database and Redis, and Debian's Chromium driven by Playwright. Its camera is the
prompt-following customer of bench/actors (a canvas stream: tests/e2e/customer_camera.py); the
production random challenge plan is drawn for every session."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from bench.actors.customer import ENCODED_FOOTAGE, ENCODED_TURN_DEGREES
from tests.capture.dbseed import reseed_after_flush, seed_reference_rows
from tests.environment import CI_RUN, PROJECT_ROOT

__all__ = ["reseed_after_flush"]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain
# blocking calls made between browser steps, which Django allows only with this switch.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("SHIMING_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# The load generator's plan and clip (tests/load; the browser tests use the random plan and the customer).
FIXED_PLAN = "blink,blink,blink"
HAPPY_CLIP = "liveness_video/liveportrait_d12.mp4"
PRINT_CLIP = HAPPY_CLIP  # a frame of it, held up as a still print
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-sandbox",
    "--headless=new",
    "--autoplay-policy=no-user-gesture-required",
]


def _require(condition: bool, message: str) -> None:
    if not condition:
        if CI_RUN:
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Importing the ASGI application (mediapipe, TensorFlow, OpenVINO) takes ~6 s of CPU: 68 s of wall
# time at load 19 on the shared 2-core machine, past the 60 s this waited before.
SERVER_START_SECONDS = 180.0


def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = SERVER_START_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on {port}:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def e2e_tools() -> None:
    _require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    _require(shutil.which("ffmpeg") is not None, "ffmpeg not found (apt-get install ffmpeg)")


@pytest.fixture(scope="session")
def subprocess_env(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The environment of the server and worker: the test settings, pointed at the test database."""
    with django_db_blocker.unblock():
        database = connection.settings_dict
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    url = f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "SHIMING_LIVENESS_TURN_DEGREES": str(ENCODED_TURN_DEGREES),  # bench/actors/customer.py says why
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("SHIMING_FIXED_CHALLENGE_PLAN", None)  # the production random plan
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=PROJECT_ROOT, env=env, check=True
    )
    yield env
    with django_db_blocker.unblock():
        _wait_for_other_connections_to_end()


def _wait_for_other_connections_to_end(seconds: float = 15) -> None:
    """Before the test database is dropped: wait for the stopped subprocesses' sessions to end, then
    end what is left. That is this process's own: Playwright runs the test body in a greenlet, which
    Django's context-local connection handler treats as another context with its own connection."""
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                break
            cursor.execute(f"SELECT count(*) {others} AND state <> 'idle'")
            if cursor.fetchone()[0] == 0 and time.monotonic() > deadline - seconds + 2:
                cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")
            time.sleep(0.2)
    connection.close()


@dataclass
class Server:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_daphne(env: dict[str, str], log: Path, access_log: Path | None = None) -> Iterator[Server]:
    """A real Daphne serving the project on a free loopback port, its output in `log` (and an access
    log, one line per request as a web server writes it, in `access_log`); stopped on exit."""
    port = _free_port()
    daphne = str(Path(sys.executable).parent / "daphne")
    access = ["--access-log", str(access_log)] if access_log is not None else []
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(port), *access, "config.asgi:application"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield Server(url=f"http://127.0.0.1:{port}", log=log)
    finally:
        _stop(process)
    assert process.returncode is not None


@pytest.fixture(scope="session")
def live_server_process(
    e2e_tools: None, subprocess_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "daphne.log"
    try:
        with running_daphne(subprocess_env, log) as server:
            yield server
    finally:
        (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "logs" / "daphne.log")


# Package scope, not session: this worker serves the same broker as the real worker of
# tests/registration/conftest.py, and if it outlived the browser tests it would take the other tests' tasks
# (test_tasks waits for its own worker's log line and failed in a full run because of that).
@pytest.fixture(scope="package")
def celery_worker_process(
    e2e_tools: None, subprocess_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    log = tmp_path_factory.mktemp("worker") / "celery.log"
    celery = str(Path(sys.executable).parent / "celery")
    subprocess.run(
        [celery, "-A", "config.celery_app", "purge", "-f", "-Q", "default,face"],
        cwd=PROJECT_ROOT,
        env=subprocess_env,
        check=False,
        capture_output=True,
        timeout=60,
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                celery,
                "-A",
                "config.celery_app",
                "worker",
                "-Q",
                "default,face",
                "-P",
                "threads",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ],
            cwd=PROJECT_ROOT,
            env=subprocess_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield log
    finally:
        _stop(process)
        (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "logs" / "celery.log")


@pytest.fixture
def stack(
    reseed_after_flush: None,
    transactional_db: None,
    live_server_process: Server,
    celery_worker_process: Path,
    settings: Any,
) -> Server:
    """Server and worker running; the test's rows are committed, so both subprocesses see them.
    Sessions made in this process draw the production random plan too. (The flush afterwards
    outlasts what the closed pages left the server: tests/flush.py.)"""
    settings.SHIMING_FIXED_CHALLENGE_PLAN = []
    settings.SHIMING_LIVENESS_TURN_DEGREES = ENCODED_TURN_DEGREES
    seed_reference_rows()
    return live_server_process


@pytest.fixture
def clerk_account(stack: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.factories import OutletFactory, UserFactory

    password = "correct horse battery"
    user = UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet"), username=f"clerk{time.time_ns()}")
    return user, password


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def same_person_card(e2e_tools: None, testdata: Path, media_dir: Path) -> Path:
    """The customer's document: a frontal frame of the customer's own footage on a card."""
    import cv2

    from bench.actors.card import document_card
    from bench.actors.customer import segment_frames

    frame = media_dir / "customer_frame.png"
    cv2.imwrite(str(frame), segment_frames("idle", ENCODED_FOOTAGE)[0])
    return document_card(frame, media_dir / "same_person_card.jpg")


@pytest.fixture(scope="session")
def customer_chip_portrait(e2e_tools: None, media_dir: Path) -> Path:
    """The portrait a card reader returns from the customer's card chip (102x126 px), cut around the
    face of a frame of the customer's own footage."""
    import cv2

    from bench.actors.customer import segment_frames
    from registration.face_matching import get_matcher
    from registration.face_matching.document import card_reader_chip

    frame = segment_frames("idle", ENCODED_FOOTAGE)[0]
    face = get_matcher().locate_document_portrait(frame).face
    out = media_dir / "customer_chip.jpg"
    cv2.imwrite(str(out), card_reader_chip(frame, face))
    return out


@pytest.fixture(scope="session")
def other_person_card(e2e_tools: None, testdata: Path, media_dir: Path) -> Path:
    from bench.actors.card import document_card

    photo = sorted((testdata / "verification" / "deepface").glob("*.jpg"))[0]
    return document_card(photo, media_dir / "other_person_card.jpg", crop_to_face=False)


@pytest.fixture(scope="session")
def still_camera_file(e2e_tools: None, testdata: Path, media_dir: Path) -> Path:
    from tests.e2e.media import still_camera, still_frame

    frame = still_frame(testdata / PRINT_CLIP, 0.4, media_dir / "still_frame.png")
    return still_camera(frame, media_dir / "still.y4m")


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop on the main thread while it runs,
    # which would break `async_to_sync` in every test collected after the browser tests.
    from playwright import sync_api  # pinned in requirements.lock: a missing install is an error, not a skip

    with sync_api.sync_playwright() as driver:
        yield driver


BrowserFactory = Callable[..., Any]
CustomerContext = Callable[..., Any]


@pytest.fixture
def launch_browser(playwright_driver: Any, e2e_tools: None) -> Iterator[BrowserFactory]:
    """Launch Chromium with a given camera file (or a denied camera); closed after the test."""
    browsers: list[Any] = []

    def launch(camera: Path | None, *, deny_camera: bool = False) -> Any:
        args = list(CHROMIUM_ARGS)
        if deny_camera:
            args += ["--use-fake-device-for-media-stream", "--deny-permission-prompts"]
        else:
            args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
            if camera is not None:
                args.append(f"--use-file-for-fake-video-capture={camera}")
        browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        if browser.is_connected():
            browser.close()


@pytest.fixture
def customer_context(launch_browser: BrowserFactory, stack: Server, testdata: Path) -> CustomerContext:
    """A browser context whose camera is the prompt-following customer (or, with `respond`, the
    lazy or wrong-way one; with `light`, lit by the screen's colours). The seed of its reaction
    delays is printed, to replay a run."""
    from bench.actors.customer import follow
    from tests.e2e import customer_camera

    def open_context(*, respond: Callable[[str], str | None] | None = None, light: bool = False, **options: Any) -> Any:
        seed = random.SystemRandom().randrange(2**32)
        context = launch_browser(None).new_context(**options)
        directions = customer_camera.install(context, stack.url, seed=seed, respond=respond or follow, light=light)
        print(f"\ncustomer seed {seed}: {directions}")
        return context

    return open_context


PICTURES = "video, canvas, img:not([src$='.svg'])"
"""What can show a person on a screen: the camera, the document and the faces of a review. The
shared test data's people may not be published (its README: no screenshots of them in docs), and
the suite's screenshots become the README's and CI's artifacts, so every shot masks them."""
MASK_BGR = (0xAD, 0xA3, 0x9A)
MASK_COLOUR = "#9aa3ad"
# Marks the pictures that show something: a video whose camera is still live (a stopped one shows
# the stage's black, and its oval stays visible), every other picture.
MARK_SHOWING = """selector => {
  for (const element of document.querySelectorAll(selector)) {
    const stream = element.tagName === "VIDEO" ? element.srcObject : null;
    const showing = element.tagName !== "VIDEO" || Boolean(element.currentSrc)
      || Boolean(stream && stream.getVideoTracks().some((track) => track.readyState === "live"));
    element.toggleAttribute("data-screenshot-mask", showing);
  }
}"""


class Screens:
    """Saves a screenshot of every screen under artifacts/screenshots/<test>/NN-name.png, with
    every picture that could show a person masked (`PICTURES`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.evaluate(MARK_SHOWING, PICTURES)
        masks = [page.locator("[data-screenshot-mask]")]
        page.screenshot(path=str(path), full_page=True, mask=masks, mask_color=MASK_COLOUR)
        return path


def masked_in(shot: Path, page: Any, selector: str) -> bool:
    """Whether the element `selector` of `page` is one block of the mask's colour in `shot` (a
    full-page screenshot of it at one device pixel per CSS pixel)."""
    import cv2
    import numpy as np

    where = "e => { const r = e.getBoundingClientRect(); return [r.x + scrollX, r.y + scrollY, r.width, r.height]; }"
    box = page.eval_on_selector(selector, where)
    left, top, width, height = (round(value) for value in box)
    image = cv2.imread(str(shot))
    inside = image[top + 1 : top + height - 1, left + 1 : left + width - 1].reshape(-1, 3).astype(int)
    return width > 2 and height > 2 and bool(np.all(np.abs(inside - MASK_BGR) <= 2))


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(SCREENSHOTS / request.node.name)
