// The live-check prompts spoken aloud, from the audio files `make audio` built (one per prompt and
// language), with a sound switch remembered on this device.
import { _ } from "./api.js";

const KEY = "shiming.sound";

export class PromptVoice {
  constructor(urls, button, { storage = window.localStorage, makeAudio = (url) => new Audio(url) } = {}) {
    this.urls = urls || {};
    this.button = button;
    this.storage = storage;
    this.makeAudio = makeAudio;
    this.playing = null;
    this.lastKey = null;
    this.lastCode = null;
    if (this.button) {
      this.button.addEventListener("click", () => this.toggle());
      this.render();
    }
  }

  get on() {
    try {
      return this.storage.getItem(KEY) !== "off";
    } catch {
      return true;
    }
  }

  // Say the prompt `code` once per `key` (a step index, a phase): a status repeated every frame is not repeated aloud.
  say(code, key = code) {
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.lastCode = code;
    if (!this.on || !this.urls[code]) return;
    this.stop();
    this.playing = this.makeAudio(this.urls[code]);
    const started = this.playing.play();
    // The browser wants a tap first (NotAllowedError); a prompt cut short by the next one (AbortError) is not that.
    if (started && started.catch) started.catch((error) => this.render(error && error.name === "NotAllowedError"));
  }

  stop() {
    if (this.playing) this.playing.pause();
    this.playing = null;
  }

  reset() {
    this.lastKey = null;
  }

  // The page's language changed: its prompts' files, and the switch in its words.
  useUrls(urls) {
    this.urls = urls || {};
    this.render(Boolean(this.button && this.button.dataset.blocked === "1"));
  }

  toggle() {
    const blocked = this.button && this.button.dataset.blocked === "1";
    if (!blocked) {
      try {
        this.storage.setItem(KEY, this.on ? "off" : "on");
      } catch {
        // storage disabled: the switch lasts for this page only
      }
    }
    if (this.on) {
      const code = this.lastCode;
      this.lastKey = null;
      if (code) this.say(code);
    } else {
      this.stop();
    }
    this.render();
  }

  render(blocked = false) {
    if (!this.button) return;
    this.button.dataset.blocked = blocked ? "1" : "";
    this.button.setAttribute("aria-pressed", String(this.on && !blocked));
    this.button.textContent = blocked ? _("Tap for sound") : this.on ? _("Sound on") : _("Sound off");
  }
}
