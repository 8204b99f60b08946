"""Spoken prompts: built offline per prompt and language, played by the page
with a sound switch (frontend/prompts.py, manage.py prompt_audio, frontend/static/frontend/voice.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.translation.trans_real import DjangoTranslation

from frontend import prompts
from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests.environment import PROJECT_ROOT, needs_tool

NODE = shutil.which("node")


def test_every_spoken_prompt_is_a_translated_text_of_the_page() -> None:
    chinese = DjangoTranslation("zh-hans", domain="djangojs")
    capture_js = (PROJECT_ROOT / "frontend/static/frontend/capture.js").read_text()
    feedback_js = (PROJECT_ROOT / "frontend/static/frontend/feedback.js").read_text()

    for msgid in prompts.SPOKEN_PROMPTS.values():
        assert f'_("{msgid}")' in capture_js + feedback_js, msgid  # the words shown are the words spoken
        assert chinese.gettext(msgid) != msgid, msgid


@needs_tool("espeak-ng", "espeak-ng is not installed (scripts/ensure-services)")
@pytest.mark.slow
def test_the_command_builds_one_file_per_prompt_and_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("prompt_audio", out=tmp_path)

    built = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.*"))
    extension = "opus" if shutil.which("ffmpeg") else "wav"
    assert built == sorted(f"{lang}/{code}.{extension}" for lang in prompts.VOICES for code in prompts.SPOKEN_PROMPTS)
    if extension == "wav":
        with wave.open(str(tmp_path / "zh-hans" / "blink.wav")) as audio:
            assert 0.5 < audio.getnframes() / audio.getframerate() < 5  # "请眨眨眼", spoken
    assert "14 spoken prompts" in capsys.readouterr().out


def test_every_prompt_is_committed_in_both_languages() -> None:
    """`make audio` after a prompt or a translation changes; the committed files are what tablets play."""
    for language in prompts.VOICES:
        urls = prompts.prompt_audio_urls(language)
        assert sorted(urls) == sorted(prompts.SPOKEN_PROMPTS), language
        assert all(url.endswith(".opus") for url in urls.values())
    total = sum(path.stat().st_size for path in prompts.AUDIO_DIR.rglob("*.opus"))
    assert total < 300 * 1024


def test_the_capture_page_offers_sound_only_when_the_prompts_were_built(
    signed_in: Client, make_session: Callable[..., VerificationSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = make_session(SessionState.CONSENTED, portrait=b"-")
    monkeypatch.setattr(prompts.finders, "find", lambda name: None)
    silent = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    monkeypatch.setattr(prompts.finders, "find", lambda name: name if name.endswith(".wav") else None)
    spoken = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()

    assert 'id="sound-toggle"' not in silent
    assert '<script id="prompt-audio" type="application/json">{}</script>' in silent
    assert 'id="sound-toggle"' in spoken
    assert "/static/frontend/audio/zh-hans/blink.wav" in spoken


VOICE_SCRIPT = """
const steps = JSON.parse(process.argv[1]);
const storage = new Map();
globalThis.window = { gettext: (t) => t, localStorage: {
  getItem: (k) => (storage.has(k) ? storage.get(k) : null), setItem: (k, v) => storage.set(k, v) } };
const listeners = {};
const button = { dataset: {}, attrs: {}, textContent: "", addEventListener: (e, f) => { listeners[e] = f; },
  setAttribute(name, value) { this.attrs[name] = value; } };
const played = [];
let refuse = false;
const { PromptVoice } = await import(process.argv[2]);
const voice = new PromptVoice({ blink: "/b.wav", turn_left: "/l.wav" }, button, {
  storage: window.localStorage,
  makeAudio: (url) => ({
    play: () => {
      played.push(url);
      return refuse ? Promise.reject(new DOMException("autoplay", refuse)) : Promise.resolve();
    },
    pause: () => {},
  }),
});
const out = [];
for (const [action, ...args] of steps) {
  if (action === "say") voice.say(...args);
  if (action === "tap") listeners.click();
  if (action === "refuse") refuse = args[0];
  await new Promise((r) => setTimeout(r, 0));
  out.push({ played: [...played], text: button.textContent, pressed: button.attrs["aria-pressed"] });
}
console.log(JSON.stringify({ out, stored: Object.fromEntries(storage) }));
"""


def run_voice(steps: list[list[Any]]) -> dict[str, Any]:
    voice_js = PROJECT_ROOT / "frontend/static/frontend/voice.js"
    result = subprocess.run(
        [str(NODE), "--input-type=module", "-e", VOICE_SCRIPT, json.dumps(steps), voice_js.as_uri()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


@needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")
def test_a_prompt_is_said_once_per_step_and_the_switch_is_remembered() -> None:
    result = run_voice(
        [
            ["say", "blink", "step-0"],
            ["say", "blink", "step-0"],  # the same status again: not repeated
            ["say", "blink", "step-1"],  # the next blink step: said again
            ["tap"],  # sound off
            ["say", "turn_left", "step-2"],
            ["say", "no_audio_for_this", "x"],
        ]
    )

    assert result["out"][2]["played"] == ["/b.wav", "/b.wav"]
    assert result["out"][3]["text"] == "Sound off"
    assert result["out"][3]["pressed"] == "false"
    assert result["out"][5]["played"] == ["/b.wav", "/b.wav"]
    assert result["stored"] == {"shiming.sound": "off"}


@needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")
def test_a_browser_that_refuses_to_play_gets_a_tap_for_sound_button() -> None:
    result = run_voice([["refuse", "NotAllowedError"], ["say", "blink", "step-0"], ["refuse", False], ["tap"]])

    assert result["out"][1]["text"] == "Tap for sound"
    assert result["out"][3]["played"] == ["/b.wav", "/b.wav"]  # the tap plays the prompt that was missed
    assert result["out"][3]["text"] == "Sound on"
    assert result["stored"] == {}  # a tap to allow sound is not a choice to mute


@needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")
def test_a_prompt_cut_short_by_the_next_one_keeps_the_sound_on() -> None:
    """A browser rejects the play of a prompt paused by the next one (AbortError): the switch used to
    say "Tap for sound" after it, as if the browser refused sound (seen after a failed attempt)."""
    result = run_voice([["refuse", "AbortError"], ["say", "blink", "step-0"], ["refuse", False]])

    assert result["out"][1]["played"] == ["/b.wav"]
    assert result["out"][1]["text"] == "Sound on"
    assert result["out"][1]["pressed"] == "true"
