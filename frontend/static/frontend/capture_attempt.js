// One live-check attempt as a state machine, without the page: what the attempt is doing now, and
// which events may move it. `next(state, event)` is pure; every state is a frozen object, so the
// page keeps one `attempt` binding and replaces it, never a flag beside it.
//
//   idle ─start→ choosing_lights ─lights_chosen→ starting      (the light warning: the first attempt
//   idle ─start→ starting                                        with the screen-light step only)
//   starting ─camera_opened→ opening ─ready→ connecting ─answer→ calibrating
//   connecting | calibrating | holding | step ─status→ calibrating | holding(n) | step(n) | finished
//   finished | connecting | calibrating | holding | step ─captured→ captured
//   any live state ─ended | error | camera_failed→ ended(reason)
//
// `captured` and `ended` are terminal: a retry is a new attempt (`newAttempt`), which keeps only the
// customer's light choice, unless the light step was the one that failed: then the customer is asked
// again (`lightsFailed`: the warning comes with advice), never lit again at once. An event a state does not list is refused: `next` returns the state as it
// was (a late status after the end cannot bring the attempt back).

export const STATES = Object.freeze([
  "idle",
  "choosing_lights",
  "starting",
  "opening",
  "connecting",
  "calibrating",
  "holding",
  "step",
  "finished",
  "captured",
  "ended",
]);

// Errors the server reports on an open attempt without ending it (the attempt goes on).
const SOFT_ERRORS = new Set(["invalid_offer", "unknown_message", "invalid_message", "not_ready"]);
const ATTEMPT_OPEN = new Set(["connecting", "calibrating", "holding", "step", "finished"]);
// While these run, the attempt's own socket says what happens, not the session's pushes.
const OWNS_THE_SCREEN = new Set(["starting", "opening", "connecting", "calibrating", "holding", "step"]);

function move(state, name, changes = {}) {
  return Object.freeze({ ...state, ...changes, name });
}

export function newAttempt(previous = null) {
  const lightsFailed = Boolean(previous && previous.failedStep && previous.failedStep.step === "light");
  return Object.freeze({
    name: "idle",
    lights: previous && !lightsFailed ? previous.lights : null, // null: not asked yet; "lights" or "no_lights"
    lightsFailed, // the previous attempt failed at its light step: the warning asks again, with advice
    steps: 0, // the step count the server announced ("ready"); which step is which comes with its prompt
    prompted: Object.freeze([]), // the action of each step prompted so far, by index
    index: -1, // the step prompted now (step) or the next one (holding)
    step: null,
    stepsDone: 0,
    passed: null,
    failedIndex: -1, // the step that was running when the attempt failed; -1: none was prompted yet
    failedStep: null, // {index, step} of that step when it had been prompted, for the customer's words
    finishedAt: null, // when the engine ended the attempt (the page's clock), for the decision latency
    reason: null,
    source: null, // what ended it: "camera", "refused" (the server would not start it) or "server"
  });
}

function start(state, event) {
  return event.lightChallenge && state.lights === null ? move(state, "choosing_lights") : move(state, "starting");
}

function chooseLights(state, event) {
  return move(state, "starting", { lights: event.choice === "no_lights" ? "no_lights" : "lights" });
}

function cameraFailed(state, event) {
  return move(state, "ended", { reason: event.denied ? "camera_denied" : "no_camera", source: "camera" });
}

function ready(state, event) {
  return move(state, "connecting", { steps: event.steps, prompted: Object.freeze([]), index: -1, step: null });
}

function onStatus(state, event) {
  const status = event.status;
  if (status.finished) return finish(state, status, event.at);
  if (status.step) {
    const prompted = [...state.prompted];
    prompted[status.step_index] = status.step;
    return move(state, "step", {
      prompted: Object.freeze(prompted),
      index: status.step_index,
      step: status.step,
      stepsDone: status.steps_done,
    });
  }
  // No step on screen: the face is being calibrated, or (once a step was prompted) a hold-still gap.
  const name = state.prompted.length ? "holding" : "calibrating";
  return move(state, name, { index: status.step_index, step: null, stepsDone: status.steps_done });
}

function finish(state, status, at) {
  const changes = { step: null, stepsDone: status.steps_done, finishedAt: at === undefined ? null : at };
  if (status.passed !== false) return move(state, "finished", { ...changes, passed: true });
  const index = state.prompted.length ? Math.min(status.steps_done, state.steps - 1) : -1;
  // Only a prompted step is named (a failure in the still gap before a prompt names none).
  const failedStep = index >= 0 && state.prompted[index] ? Object.freeze({ index, step: state.prompted[index] }) : null;
  return move(state, "finished", { ...changes, passed: false, failedIndex: index, failedStep });
}

function captured(state) {
  return move(state, "captured", { passed: state.passed === null ? true : state.passed, step: null });
}

function ended(state, event) {
  return move(state, "ended", { reason: event.reason, source: "server", step: null });
}

function error(state, event) {
  if (isSoftError(state, event.code)) return state;
  return move(state, "ended", { reason: event.code, source: "refused", step: null });
}

const LIVE = { captured, ended, error };

export const TRANSITIONS = Object.freeze({
  idle: { start },
  choosing_lights: { lights_chosen: chooseLights },
  starting: { camera_opened: (state) => move(state, "opening"), camera_failed: cameraFailed },
  opening: { ready, ended, error },
  connecting: { answer: (state) => move(state, "calibrating"), status: onStatus, ...LIVE },
  calibrating: { status: onStatus, ...LIVE },
  holding: { status: onStatus, ...LIVE },
  step: { status: onStatus, ...LIVE },
  finished: { ...LIVE },
  captured: {},
  ended: {},
});

export function allowed(state, event) {
  return Object.hasOwn(TRANSITIONS[state.name], event.type);
}

// The attempt after `event`; the same state object when the event is refused in this state.
export function next(state, event) {
  const transition = TRANSITIONS[state.name][event.type];
  return transition && Object.hasOwn(TRANSITIONS[state.name], event.type) ? transition(state, event) : state;
}

export function isSoftError(state, code) {
  return ATTEMPT_OPEN.has(state.name) && SOFT_ERRORS.has(code);
}

export function ownsTheScreen(state) {
  return OWNS_THE_SCREEN.has(state.name);
}

export function isOver(state) {
  return state.name === "captured" || state.name === "ended";
}

// A new step is on screen (its prompt must be shown, said and acknowledged once).
export function enteredStep(before, after) {
  return after.name === "step" && (before.name !== "step" || before.index !== after.index);
}
