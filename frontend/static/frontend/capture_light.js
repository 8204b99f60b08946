// The screen-light step's overlay (a policy switch): the server reveals the colours with the prompt;
// each holds `seconds` (at least 1/3 s: at most three changes a second, WCAG 2.3.1). `play` calls
// `painted` once the first colour is on screen: the prompt counts as shown from then.

export const MIN_HOLD_MS = 334;

export class LightOverlay {
  constructor(element, { show, timers = globalThis } = {}) {
    this.element = element;
    this.show = show;
    this.timers = timers;
    this.timer = null;
  }

  play(colours, seconds, painted) {
    if (!colours || !colours.length) return false;
    this.stop();
    const holdMs = Math.max(seconds * 1000, MIN_HOLD_MS);
    let index = 0;
    const paint = () => {
      if (index >= colours.length) {
        this.stop();
        return;
      }
      this.element.style.backgroundColor = colours[index];
      index += 1;
      this.timer = this.timers.setTimeout(paint, holdMs);
    };
    this.show(this.element, true);
    paint();
    if (painted) painted();
    return true;
  }

  get playing() {
    return this.timer !== null;
  }

  stop() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.show(this.element, false);
  }
}
