// The screen-light step's overlay (a policy switch): the server reveals the colours with the prompt;
// each holds `seconds` (at least 1/3 s: at most three changes a second, WCAG 2.3.1). `play` calls
// `painted` from the frame that first shows the first colour: the prompt counts as shown from then.
//
// The server lays colour k at `shown + k * seconds` (liveness/light.py), so the page paints on that
// grid, on the display's own frames (requestAnimationFrame), never by chaining timers: a chain of
// setTimeout(hold) adds each timer's lateness to every later colour, and on a busy tablet (or the
// shared test machine, the renderer also encoding the video) the last colours of eight can run
// well behind the server's grid, so the frames of one colour are judged against the next
// (light_mismatch). A late frame now delays only its own colour; the next is back on the grid,
// but never sooner than MIN_HOLD_MS after the one before.

export const MIN_HOLD_MS = 334;

export class LightOverlay {
  constructor(element, { show, timers = globalThis } = {}) {
    this.element = element;
    this.show = show;
    this.timers = timers;
    this.frame = null;
  }

  play(colours, seconds, painted) {
    if (!colours || !colours.length) return false;
    this.stop();
    const holdMs = Math.max(seconds * 1000, MIN_HOLD_MS);
    let start = null;
    let index = 0;
    let last = 0;
    const paint = (time) => {
      this.element.style.backgroundColor = colours[index];
      last = time;
    };
    const tick = (time) => {
      if (start === null) {
        start = time; // the frame that shows the first colour: the grid's origin
        last = time;
        if (painted) painted();
      } else if (time >= start + (index + 1) * holdMs && time >= last + MIN_HOLD_MS) {
        index += 1;
        if (index >= colours.length) {
          this.stop();
          return;
        }
        paint(time);
      }
      this.frame = this.timers.requestAnimationFrame(tick);
    };
    this.show(this.element, true);
    paint(0);
    this.frame = this.timers.requestAnimationFrame(tick);
    return true;
  }

  get playing() {
    return this.frame !== null;
  }

  stop() {
    if (this.frame !== null) this.timers.cancelAnimationFrame(this.frame);
    this.frame = null;
    this.show(this.element, false);
  }
}
