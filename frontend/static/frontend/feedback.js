// What the live-check page tells the customer, without the page itself: step names, the failure
// in the customer's words, hints that fit the step, and a hint line that does not flicker.
import { _, format, reasonLabels } from "./api.js";

export const STEP_TEXT = {
  blink: () => _("Blink your eyes"),
  turn_left: () => _("Turn your head to your left, then back"),
  turn_right: () => _("Turn your head to your right, then back"),
  light: () => _("Hold still and look at the screen: it lights your face"),
};

// The progress chips, one per step. The server names a step's action only in the status that
// prompts it (the "ready" message gives the count alone), so `prompted[index]` is the action of each
// step asked for so far; a step not yet prompted is a neutral "Step 2 of 3". Each chip:
// {text, state: "done" | "failed" | "current" | "todo", label: what a screen reader says, or null}.
export function stepChips(prompted, count, done, current, failed = -1) {
  return Array.from({ length: count }, (_unused, index) => {
    const step = prompted[index];
    const text = step
      ? STEP_TEXT[step] ? STEP_TEXT[step]() : step
      : format(_("Step %(number)s of %(count)s"), { number: index + 1, count });
    let state = "todo";
    if (index < done) state = "done";
    else if (index === failed) state = "failed";
    else if (index === current) state = "current";
    return { text, state, label: state === "failed" ? `${text}: ${_("not passed")}` : null };
  });
}

// Why an attempt failed, by the step that was running ("calibration": before the first step).
const FAILED_STEP_TEXT = {
  calibration: () => _("Your face was not seen clearly in front of the camera."),
  blink: () => _("No blink was seen in time."),
  turn_left: () => _("The turn of your head to your left was not seen in time."),
  turn_right: () => _("The turn of your head to your right was not seen in time."),
  // The buttons named are the page's own: "Try again" here, then the light warning's two choices.
  light: () => _("The screen's light on your face was not seen. Tap “Try again”: you can start with the lights again, or choose “Without lights (more movements)”."),
};

// Reason codes that only restate the failed step (named in words) or that every early failure carries.
const STEP_REASONS = new Set(["step_timeout", "no_blink", "no_turn", "incomplete", "calibration_failed"]);
// Reason codes that say why the step was not done: "not seen in time" would blame the movement
// (a turn that stopped short, or that went far enough and did not come back, was seen: the customer
// is told to turn a little further, or to turn back to the screen sooner, instead).
const CAUSE_REASONS = new Set(["face_lost", "identity_jump", "turn_too_small", "turn_not_back"]);

export const HINT_SETTLE_MS = 800;

// The failure in the customer's words. `failedStep` is {index, step} of the prompted step that was
// running, or null when no step had been asked for yet (before the first prompt, or a reload): then
// the reasons alone say what happened.
export function failureText(failedStep, reasons) {
  const codes = reasons || [];
  const parts = [];
  if (failedStep && failedStep.index >= 0) {
    const name = STEP_TEXT[failedStep.step] ? STEP_TEXT[failedStep.step]() : failedStep.step;
    parts.push(format(_("Step %(number)s, “%(step)s”, was not passed."), { number: failedStep.index + 1, step: name }));
    const cause = codes.some((code) => CAUSE_REASONS.has(code));
    if (FAILED_STEP_TEXT[failedStep.step] && !cause) parts.push(FAILED_STEP_TEXT[failedStep.step]());
    parts.push(...reasonLabels(codes.filter((code) => !STEP_REASONS.has(code))));
    return parts.join(" ");
  }
  if (codes.includes("calibration_failed")) parts.push(FAILED_STEP_TEXT.calibration());
  // "No blink" comes with every failure before a blink: it is not the cause when another reason is there.
  const rest = codes.filter((code) => code !== "calibration_failed" && (codes.length === 1 || code !== "no_blink"));
  parts.push(...reasonLabels(rest));
  return parts.join(" ");
}

// During a turn the face leaves the frontal pose by design: "look at the camera, face inside the
// oval" would contradict the prompt, so the hint says how to finish the turn instead.
export function hintForStep(step, hint) {
  if (hint === "look_at_camera" && (step === "turn_left" || step === "turn_right")) {
    return `turn_and_return_${step.slice("turn_".length)}`;
  }
  return hint || null;
}

// A per-frame hint reaches the screen only once it has held for `settleMs`, so a hint that comes
// and goes with single frames does not flicker; `set` shows one at once (an outcome, the end).
export class HintSettler {
  constructor(render, { settleMs = HINT_SETTLE_MS, timers = globalThis } = {}) {
    this.render = render;
    this.settleMs = settleMs;
    this.timers = timers;
    this.shown = null;
    this.pending = null;
    this.timer = null;
  }

  set(code) {
    this.cancel();
    this.shown = code || null;
    this.pending = this.shown;
    this.render(this.shown);
  }

  propose(code) {
    const wanted = code || null;
    if (wanted === this.shown) {
      this.cancel();
      this.pending = wanted;
      return;
    }
    if (wanted === this.pending && this.timer !== null) return;
    this.cancel();
    this.pending = wanted;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.set(this.pending);
    }, this.settleMs);
  }

  cancel() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
