// The live-check page: it wires the attempt's state machine (capture_attempt.js) to the screen, the
// camera, the connection to the server (capture_signalling.js) and the light overlay
// (capture_light.js), and shows the outcome when the workers have decided (pushed over the
// session's WebSocket). The attempt lives in one `attempt` state, replaced on every event.
import { _, api, errorMessage, format, liveSocket, reasonLabels, show, socketUrl, stateLabel } from "./api.js";
import { activeDeviceId, faceVideo, limitFaceSender, offerCameraChoice, openCamera } from "./camera.js";
import { allowed, enteredStep, newAttempt, next, ownsTheScreen } from "./capture_attempt.js";
import { LightOverlay } from "./capture_light.js";
import { CaptureLink } from "./capture_signalling.js";
import { HintSettler, STEP_TEXT, failureText, hintForStep, stepChips } from "./feedback.js";
import { LANGUAGE_EVENT, switchLanguageInPlace } from "./language.js";
import { PromptVoice } from "./voice.js";

const root = document.getElementById("capture");
const preview = document.getElementById("preview");
const promptText = document.getElementById("prompt-text");
const promptIcon = document.getElementById("prompt-icon");
const stepsList = document.getElementById("steps");
const hintLine = document.getElementById("hint");
const countdown = document.getElementById("countdown");
const outcomeBox = document.getElementById("outcome");
const outcomeTitle = document.getElementById("outcome-title");
const outcomeDetail = document.getElementById("outcome-detail");
const startButton = document.getElementById("start");
const retryButton = document.getElementById("retry");
const resultLink = document.getElementById("to-result");
const homeLink = document.getElementById("to-home");
const byHandButton = document.getElementById("by-hand");
const restartLink = document.getElementById("restart");
const attemptsLine = document.getElementById("attempts-left");
const stage = document.querySelector("#capture .stage");
const cameraSelect = document.getElementById("camera-select");
const lightWarning = document.getElementById("light-warning");
const lightOverlay = document.getElementById("light-overlay");
const turnGauge = document.getElementById("turn-gauge");
const FPS_BUDGET = Number(root.dataset.fpsBudget) || 15;
const FACE_VIDEO = faceVideo(FPS_BUDGET);
const iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
const voice = new PromptVoice(JSON.parse(document.getElementById("prompt-audio").textContent), document.getElementById("sound-toggle"));

const STEP_ICON = { blink: "iconBlink", turn_left: "iconTurnLeft", turn_right: "iconTurnRight" };
const HINT_TEXT = {
  look_at_camera: () => _("Look at the camera, face inside the oval"),
  one_person_only: () => _("Only one person in front of the camera"),
  move_closer: () => _("Move closer"),
  more_light: () => _("More light, please"),
  less_light: () => _("Too bright: move out of direct light"),
  hold_still: () => _("Hold still"),
  wait_for_prompt: () => _("Hold still with your eyes open: wait for the next instruction"),
  move_back: () => _("Move back a little"),
  face_frontal: () => _("Look straight at the camera"),
  slow_decision: () => _("The decision takes longer than usual: it will appear here and on the dashboard."),
  turn_and_return_left: () => _("Turn to your left as far as is comfortable, then back to the camera"),
  turn_and_return_right: () => _("Turn to your right as far as is comfortable, then back to the camera"),
};

const ENDED_TEXT = {
  disconnected: () => _("The connection was lost."),
  no_offer: () => _("The browser did not start the video in time."),
  no_video: () => _("No video reached the server: check the network."),
  video_stalled: () => _("The video stopped."),
  capture_timeout: () => _("The challenge took too long."),
  connection_failed: () => _("The video connection failed: check the network."),
  session_ended: () => _("The session was closed."),
  cancelled_by_clerk: () => _("The challenge was cancelled."),
  analysis_unavailable: () => _("The face analysis is unavailable: call the supervisor."),
  server_shutdown: () => _("The server restarted."),
  not_saved: () => _("The server could not save the check: try again."),
};
const REFUSAL_TEXT = {
  busy: () => _("The server is busy with other customers: retry in a moment."),
  capture_in_progress: () => _("The live check for this customer is already open on another screen."),
  attempts_exhausted: () => _("No attempts are left for this session."),
  session_expired: () => _("This session has expired: start a new registration."),
  not_found: () => _("This session does not exist or belongs to another outlet."),
  not_signed_in: () => _("Sign in again to start the live check."),
  illegal_transition: () => _("The live check is not possible in this session's state."),
};

// The session as the server last pushed it, and the attempt: the page's only changing state.
let session = JSON.parse(document.getElementById("session-payload").textContent);
let attempt = newAttempt();

const VIDEO_KBPS = Number(root.dataset.videoKbps);
const link = new CaptureLink({ iceServers, prepareSender: (sender) => limitFaceSender(sender, FPS_BUDGET, VIDEO_KBPS) });
const light = new LightOverlay(lightOverlay, { show });

// The step's clock, shown once the face is tracked and a step is asked for, never before. At zero
// it never sits at "0": the server is deciding the step, `onZero` says so.
class Countdown {
  constructor(element, onZero) {
    this.element = element;
    this.onZero = onZero;
    this.deadline = null;
    this.timer = null;
  }

  atZero() {
    return this.deadline !== null && performance.now() >= this.deadline;
  }

  set(seconds) {
    this.deadline = seconds === null || seconds === undefined ? null : performance.now() + seconds * 1000;
    if (!this.timer) this.timer = setInterval(() => this.tick(), 200);
    this.tick();
  }

  tick() {
    if (this.deadline === null) {
      show(this.element, false);
      return;
    }
    if (this.atZero()) {
      show(this.element, false);
      this.onZero();
      return;
    }
    this.element.textContent = String(Math.max(1, Math.ceil((this.deadline - performance.now()) / 1000)));
    show(this.element, true);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.deadline = null;
    show(this.element, false);
  }
}

const clock = new Countdown(countdown, () => showStepChecked());

function dispatch(event) {
  attempt = next(attempt, event);
  root.dataset.attempt = attempt.name;
  return attempt;
}

function setPhase(phase) {
  root.dataset.phase = phase;
}

// How to draw again each element whose words this script set, in the page's language: a change of
// language (language.js) draws them again, the attempt and its state untouched.
const redraw = new Map();

// `words`: a function giving the element's text in the page's language, or null for none.
function setWords(element, words) {
  element.textContent = words ? words() : "";
  if (words) redraw.set(element, () => setWords(element, words));
  else redraw.delete(element);
}

// `words`: a function giving the prompt in the page's language, or null for none.
function setPrompt(words, iconKey) {
  setWords(promptText, words);
  if (iconKey) {
    promptIcon.src = root.dataset[iconKey];
    show(promptIcon, true);
  } else {
    show(promptIcon, false);
  }
}

function renderSteps(done, current, failed = -1) {
  redraw.set(stepsList, () => renderSteps(done, current, failed));
  stepsList.replaceChildren(...stepChips(attempt.prompted, attempt.steps, done, current, failed).map((chip) => {
    const item = document.createElement("li");
    item.textContent = chip.text;
    item.className = chip.state;
    if (chip.label) item.setAttribute("aria-label", chip.label);
    return item;
  }));
}

function showHint(code) {
  if (!code) {
    show(hintLine, false);
    delete hintLine.dataset.code;
    return;
  }
  setWords(hintLine, HINT_TEXT[code] || (() => _("Adjust your position")));
  hintLine.dataset.code = code;
  show(hintLine, true);
}

// Per-frame hints go through the settler (no flicker); `setHint` applies one at once.
const hints = new HintSettler(showHint);
const setHint = (code) => hints.set(code);
const proposeHint = (code) => hints.propose(code);

// The oval leans the way the head turns (the preview is mirrored, like a mirror).
function setOvalStep(step) {
  if (!stage) return;
  stage.classList.toggle("turning-left", step === "turn_left");
  stage.classList.toggle("turning-right", step === "turn_right");
}

// While a turn is asked, the gauge shows how far the head is turned (the server's `turn`, 0 to 1:
// 1 is far enough), filling the way the mirrored face moves.
function showTurnGauge(step, turn) {
  const turning = (step === "turn_left" || step === "turn_right") && typeof turn === "number";
  show(turnGauge, turning);
  if (!turning) return;
  const percent = Math.round(Math.min(Math.max(turn, 0), 1) * 100);
  document.getElementById("turn-gauge-fill").style.width = `${percent}%`;
  turnGauge.classList.toggle("left", step === "turn_left");
  turnGauge.classList.toggle("far-enough", percent >= 100);
  turnGauge.setAttribute("aria-valuenow", String(percent));
}

function showAttemptsLeft() {
  const max = Number(root.dataset.maxAttempts);
  const left = Math.max(0, attemptsLeft());
  setWords(attemptsLine, () => format(_("Attempts left: %(left)s of %(max)s"), { left, max }));
  attemptsLine.dataset.left = String(left);
  show(attemptsLine, true);
}

function stopMedia() {
  light.stop();
  clock.stop();
  showTurnGauge(null);
  link.stopMedia();
  preview.srcObject = null;
}

// `title` and `detail`: functions giving the words in the page's language (`detail` may be null).
function showOutcome(kind, title, detail) {
  setPhase(kind);
  show(startButton, false);
  outcomeBox.className = `outcome outcome-${kind}`;
  setWords(outcomeTitle, title);
  setWords(outcomeDetail, detail);
  show(outcomeBox, true);
  setHint(null);
  setOvalStep(null);
}

function attemptsLeft() {
  return Number(root.dataset.maxAttempts) - (session.attempt_count || 0);
}

// After a failed attempt the customer may try again or ask for a person: a supervisor checks the
// document and the customer by hand (the non-biometric path; the server flags spoof signals).
function offerRetry() {
  const canRetry = ["consented", "liveness_failed"].includes(session.state) && attemptsLeft() > 0;
  show(retryButton, canRetry);
  show(homeLink, true);
  byHandButton.dataset.reason = "liveness_not_passed";
  show(byHandButton, session.state === "liveness_failed");
}

function reasonsText(reasons) {
  return () => (reasons && reasons.length ? `${_("Reason:")} ${reasonLabels(reasons).join(" ")}` : "");
}

// --- session state, pushed by the server ----------------------------------------------------

function onSession(payload) {
  session = payload;
  // While an attempt starts or runs, its own socket tells the page what happens.
  if (ownsTheScreen(attempt)) return;
  switch (payload.state) {
    case "matching":
    case "liveness_passed":
      stopMedia();
      setPhase("checking");
      setPrompt(() => _("Comparing with the document photo…"), null);
      return;
    case "approved":
    case "rejected":
    case "manual_review":
      stopMedia();
      if (attempt.finishedAt !== null && root.dataset.decisionMs === undefined) {
        root.dataset.decisionMs = String(Math.round(performance.now() - attempt.finishedAt));
      }
      showDecision(payload);
      return;
    case "liveness_failed":
      if (root.dataset.phase === "ended") {
        offerRetry();
        return;
      }
      stopMedia();
      const failedStep = attempt.failedStep;
      showOutcome("liveness_failed", () => _("The live check did not pass."), () => failureText(failedStep, payload.liveness_reasons));
      setPrompt(attemptsLeft() > 0 ? () => _("You may try again.") : () => _("No attempts are left."), null);
      showAttemptsLeft();
      if (attemptsLeft() > 0) voice.say("try_again");
      offerRetry();
      return;
    case "expired":
    case "cancelled":
      stopMedia();
      showOutcome("ended", payload.state === "expired" ? () => _("This registration has expired.") : () => stateLabel(payload.state), null);
      setPrompt(null, null);
      show(homeLink, true);
      show(restartLink, true);
      return;
    default:
  }
}

function showDecision(payload) {
  const titles = {
    approved: () => _("Approved: the number can be activated."),
    rejected: () => _("Rejected."),
    manual_review: () => _("Sent to a supervisor for review."),
  };
  setPrompt(null, null);
  showOutcome(payload.state, titles[payload.state], reasonsText(payload.decision_reasons));
  show(resultLink, true);
  show(homeLink, true);
}

// --- the attempt's messages ---------------------------------------------------------------------

function asEvent(message) {
  return message.type === "status" ? { type: "status", status: message, at: performance.now() } : message;
}

async function onCaptureMessage(message) {
  const event = asEvent(message);
  const before = attempt;
  if (!allowed(before, event)) return; // a message this state does not take (a late one, a pong)
  const after = dispatch(event);
  switch (event.type) {
    case "ready":
      session.attempt_count = message.attempt;
      renderSteps(0, 0);
      setPhase("connecting");
      setPrompt(() => _("Connecting…"), null);
      await link.sendOffer();
      return;
    case "answer":
      await link.accept(message.sdp);
      setPrompt(() => _("Look at the camera, face inside the oval"), null);
      return;
    case "status":
      showStatus(before, after, message);
      return;
    case "captured":
      showCaptured(before);
      return;
    case "ended":
      showEnded(message);
      return;
    case "error":
      if (after === before) showSoftError(message);
      else showRefusal(message);
      return;
    default:
  }
}

function showStatus(before, after, status) {
  if (after.step !== "light") light.stop();
  if (after.name === "finished") {
    clock.set(null);
    setOvalStep(null);
    showTurnGauge(null);
    if (after.passed === false) {
      showFailedStep(after);
      return;
    }
    renderSteps(after.steps, -1);
    setHint(null);
    setPhase("checking");
    setPrompt(() => _("Done. Checking…"), "iconDone");
    voice.say("checking");
    return;
  }
  setPhase("challenge");
  // One instruction at a time: the hold-still hint of the gap leaves with the gap, not a moment later.
  if (enteredStep(before, after)) setHint(null);
  renderSteps(after.stepsDone, after.name === "step" ? after.index : -1);
  if (after.name === "step") {
    setPrompt(STEP_TEXT[after.step] || (() => after.step), STEP_ICON[after.step]);
    voice.say(after.step, `step-${after.index}`);
    if (enteredStep(before, after)) showNewStep(after, status);
  } else {
    setPrompt(() => _("Look at the camera, face inside the oval"), null);
    voice.say("look_at_camera");
  }
  setOvalStep(after.step);
  showTurnGauge(after.name === "step" ? after.step : null, status.turn);
  clock.set(after.name === "step" ? status.seconds_left : null);
  if (!clock.atZero()) proposeHint(hintForStep(after.step, status.hint));
}

// The step's time is up and the server is deciding it: one word on screen, not a "0".
function showStepChecked() {
  if (attempt.name !== "step") return;
  setHint(null);
  setPrompt(() => _("Checking…"), null);
}

// A new prompt is on screen: the server times the customer's reaction from when it was shown.
function showNewStep(after, status) {
  const shown = () => link.promptShown(after.index);
  if (after.step === "light") light.play(status.light, status.light_seconds, shown);
  else shown();
}

// The engine ended the attempt without a pass: the steps done keep their ✓, the one that was
// running is marked as not passed, and nothing on screen says "done".
function showFailedStep(after) {
  renderSteps(after.stepsDone, -1, after.failedIndex);
  setPrompt(null, null);
  showOutcome("not_passed", () => _("The live check did not pass."), () => failureText(after.failedStep, []));
  showAttemptsLeft();
  voice.say("not_passed");
}

function showCaptured(before) {
  stopMedia();
  if (before.name === "finished" && before.passed === false) return; // the failure is on screen; the verdict follows
  setPhase("checking");
  setPrompt(() => _("Checking…"), null);
  setTimeout(() => {
    if (root.dataset.phase === "checking") {
      setHint("slow_decision");
      show(resultLink, true);
    }
  }, 20000);
}

// The server says where the session is after the attempt ended: an interruption (the connection
// broke, the server restarted) gives the attempt back, and the page says so.
function showEnded(message) {
  stopMedia();
  const reason = message.reason;
  const givenBack = message.attempt_count !== undefined && message.attempt_count < (session.attempt_count || 0);
  if (message.attempt_count !== undefined) session.attempt_count = message.attempt_count;
  session.state = message.state || "liveness_failed";
  const why = ENDED_TEXT[reason] || (() => _("The live check was interrupted."));
  const detail = givenBack ? () => `${why()} ${_("This attempt does not count.")}` : why;
  showOutcome("ended", () => _("The live check was interrupted."), detail);
  root.dataset.attemptGivenBack = givenBack ? "1" : "0";
  setPrompt(null, null);
  showAttemptsLeft();
  offerRetry();
}

function showSoftError(message) {
  setHint(null);
  setWords(outcomeDetail, () => message.message); // the server's words, in the language it had
}

function showRefusal(message) {
  stopMedia();
  const text = REFUSAL_TEXT[message.code] || (() => message.message);
  showOutcome("refused", () => _("The live check cannot start."), text);
  root.dataset.errorCode = message.code;
  setPrompt(null, null);
  // Busy, or the attempt this page left a moment ago is still being closed: trying again works.
  show(retryButton, ["busy", "capture_in_progress"].includes(message.code));
  show(homeLink, true);
  show(restartLink, message.code === "session_expired");
}

// --- starting an attempt ------------------------------------------------------------------------

// The light warning, before the first attempt with the lights and again after a failed light step
// (then with advice first: the lights never start again without the customer's tap).
function askAboutLights(afterFailure) {
  show(document.getElementById("light-retry-advice"), afterFailure);
  show(lightWarning, true);
  setPhase("idle");
  setPrompt(null, null);
  return new Promise((resolve) => {
    const choose = (choice) => {
      show(lightWarning, false);
      resolve(choice);
    };
    document.getElementById("light-start").addEventListener("click", () => choose("lights"), { once: true });
    document.getElementById("no-lights").addEventListener("click", () => choose("no_lights"), { once: true });
  });
}

async function startCamera() {
  let stream;
  try {
    stream = await openCamera("face", FACE_VIDEO);
  } catch (error) {
    const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    dispatch({ type: "camera_failed", denied });
    showOutcome(
      "camera_denied",
      denied ? () => _("The camera is blocked.") : () => _("No camera is available."),
      denied ? () => _("Allow the camera for this site in the browser settings, then try again.") : () => _("Connect a camera, then try again."),
    );
    setPrompt(null, null);
    show(retryButton, true);
    show(homeLink, true);
    byHandButton.dataset.reason = "camera_unavailable";
    show(byHandButton, ["consented", "liveness_failed"].includes(session.state));
    return false;
  }
  await link.useCamera(stream);
  preview.srcObject = stream;
  // A different camera chosen before the start or while the attempt runs is swapped in place.
  offerCameraChoice(cameraSelect, "face", activeDeviceId(stream), () => {
    if (link.stream && ["idle", "connecting", "calibrating", "holding", "step"].includes(attempt.name)) switchCamera();
  });
  return true;
}

async function switchCamera() {
  let stream;
  try {
    stream = await openCamera("face", FACE_VIDEO);
  } catch {
    return; // keep the camera that works
  }
  await link.useCamera(stream);
  preview.srcObject = stream;
}

// Before the first attempt the customer sees the camera and starts when ready: nothing counts yet.
async function showReady() {
  setPhase("starting");
  setPrompt(() => _("Starting the camera…"), null);
  if (!(await startCamera())) return;
  setPhase("ready");
  setPrompt(() => _("Place your face inside the oval, then tap “Start the check”."), null);
  show(startButton, true);
  startButton.focus();
}

async function startAttempt() {
  attempt = newAttempt(attempt);
  show(startButton, false);
  show(outcomeBox, false);
  show(retryButton, false);
  renderSteps(0, -1);
  voice.reset();
  show(attemptsLine, false);
  delete root.dataset.decisionMs;
  delete root.dataset.errorCode;
  dispatch({ type: "start", lightChallenge: root.dataset.lightChallenge === "on" });
  if (attempt.name === "choosing_lights") {
    // While the customer chooses, the ways out shown after a failure stay (the lights wait for a tap).
    dispatch({ type: "lights_chosen", choice: await askAboutLights(attempt.lightsFailed) });
  }
  show(homeLink, false);
  show(byHandButton, false);
  setPhase("starting");
  setPrompt(() => _("Starting the camera…"), null);
  if (!link.stream && !(await startCamera())) return;
  dispatch({ type: "camera_opened" });
  const noLights = attempt.lights === "no_lights" ? "?no_lights=1" : "";
  link.open(socketUrl(root.dataset.captureSocket + noLights), onCaptureMessage);
}

startButton.addEventListener("click", () => startAttempt());
retryButton.addEventListener("click", () => startAttempt());

// Without a camera the customer can still be registered: a supervisor checks the document by hand.
byHandButton.addEventListener("click", async () => {
  byHandButton.disabled = true;
  const result = await api(root.dataset.alternativeUrl, { method: "POST", json: { reason: byHandButton.dataset.reason || "camera_unavailable" } });
  byHandButton.disabled = false;
  if (result.ok) {
    window.location.assign(root.dataset.alternativeNext);
    return;
  }
  setWords(outcomeDetail, () => errorMessage(result.error));
});
// Leaving during the check asks first: the attempt would not count, but the customer starts over.
window.addEventListener("beforeunload", (event) => {
  if (!ownsTheScreen(attempt)) return;
  event.preventDefault();
  event.returnValue = "";
});
window.addEventListener("pagehide", () => {
  link.close();
  stopMedia();
});

// Another language, chosen during the check or before it: the same screen in the new words, the
// attempt untouched. If the switch fails, the page reloads in it only while no attempt runs.
switchLanguageInPlace({ mayReload: () => !ownsTheScreen(attempt) });
document.addEventListener(LANGUAGE_EVENT, () => {
  for (const draw of [...redraw.values()]) draw();
  voice.useUrls(JSON.parse(document.getElementById("prompt-audio").textContent));
});

liveSocket(root.dataset.sessionSocket, (message) => {
  if (message.type === "session") onSession(message.session);
});

if (["consented", "liveness_running"].includes(session.state)) {
  showReady();
} else {
  setPhase("idle");
  onSession(session);
}
