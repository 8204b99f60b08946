// The live check: camera preview, WebRTC to the server, the challenge prompts it sends back,
// and the outcome when the workers have decided (pushed over the session's WebSocket).
import { _, api, errorMessage, format, liveSocket, reasonLabels, show, socketUrl, stateLabel } from "./api.js";
import { activeDeviceId, faceVideo, limitFaceSender, offerCameraChoice, openCamera } from "./camera.js";
import { HintSettler, STEP_TEXT, failureText, hintForStep, stepChips } from "./feedback.js";
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
const FPS_BUDGET = Number(root.dataset.fpsBudget) || 15;
const FACE_VIDEO = faceVideo(FPS_BUDGET);
const iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
let session = JSON.parse(document.getElementById("session-payload").textContent);
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

let stream = null;
let pc = null;
let captureSocket = null;
// The attempt's step count ("ready") and the action of each step prompted so far: the server names
// a step only when it prompts it, so a step not yet asked for is unknown here too.
let stepCount = 0;
let prompted = [];
let lastStepEndedAt = null;
let countdownTimer = null;
let deadline = null;
let attemptOpen = false;
let attemptPhaseStarted = false;
// The step the last attempt failed on: {index, step}, index -1 while the face was not yet calibrated.
let failedStep = null;
let challengeStarted = false;
let promptAcknowledged = null;

function setPhase(phase) {
  root.dataset.phase = phase;
}

function setPrompt(text, iconKey) {
  promptText.textContent = text;
  if (iconKey) {
    promptIcon.src = root.dataset[iconKey];
    show(promptIcon, true);
  } else {
    show(promptIcon, false);
  }
}

function renderSteps(done, current, failed = -1) {
  stepsList.replaceChildren(...stepChips(prompted, stepCount, done, current, failed).map((chip) => {
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
  hintLine.textContent = HINT_TEXT[code] ? HINT_TEXT[code]() : _("Adjust your position");
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

function showAttemptsLeft() {
  const max = Number(root.dataset.maxAttempts);
  attemptsLine.textContent = format(_("Attempts left: %(left)s of %(max)s"), { left: Math.max(0, attemptsLeft()), max });
  attemptsLine.dataset.left = String(Math.max(0, attemptsLeft()));
  show(attemptsLine, true);
}

function tickCountdown() {
  if (deadline === null) {
    show(countdown, false);
    return;
  }
  const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
  countdown.textContent = String(left);
  show(countdown, true);
}

function setCountdown(seconds) {
  deadline = seconds === null || seconds === undefined ? null : performance.now() + seconds * 1000;
  if (!countdownTimer) countdownTimer = setInterval(tickCountdown, 200);
  tickCountdown();
}

function stopMedia() {
  stopLight();
  if (countdownTimer) clearInterval(countdownTimer);
  countdownTimer = null;
  deadline = null;
  show(countdown, false);
  if (pc) pc.close();
  pc = null;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  preview.srcObject = null;
}

function showOutcome(kind, title, detail) {
  setPhase(kind);
  outcomeBox.className = `outcome outcome-${kind}`;
  outcomeTitle.textContent = title;
  outcomeDetail.textContent = detail || "";
  show(outcomeBox, true);
  setHint(null);
  setOvalStep(null);
}

function attemptsLeft() {
  return Number(root.dataset.maxAttempts) - (session.attempt_count || 0);
}

function offerRetry() {
  const canRetry = ["consented", "liveness_failed"].includes(session.state) && attemptsLeft() > 0;
  show(retryButton, canRetry);
  show(homeLink, true);
}

function reasonsText(reasons) {
  return reasons && reasons.length ? `${_("Reason:")} ${reasonLabels(reasons).join(" ")}` : "";
}

// --- session state, pushed by the server ----------------------------------------------------

const CHALLENGE_PHASES = ["starting", "connecting", "challenge"];

function onSession(payload) {
  session = payload;
  // While an attempt starts or runs, its own socket tells the page what happens.
  if (CHALLENGE_PHASES.includes(root.dataset.phase) && attemptPhaseStarted) return;
  switch (payload.state) {
    case "matching":
    case "liveness_passed":
      stopMedia();
      setPhase("checking");
      setPrompt(_("Comparing with the document photo…"), null);
      return;
    case "approved":
    case "rejected":
    case "manual_review":
      stopMedia();
      if (lastStepEndedAt !== null && root.dataset.decisionMs === undefined) {
        root.dataset.decisionMs = String(Math.round(performance.now() - lastStepEndedAt));
      }
      showDecision(payload);
      return;
    case "liveness_failed":
      if (root.dataset.phase === "ended") {
        offerRetry();
        return;
      }
      stopMedia();
      showOutcome("liveness_failed", _("The live check did not pass."), failureText(failedStep, payload.liveness_reasons));
      setPrompt(attemptsLeft() > 0 ? _("You may try again.") : _("No attempts are left."), null);
      showAttemptsLeft();
      if (attemptsLeft() > 0) voice.say("try_again");
      offerRetry();
      return;
    case "expired":
    case "cancelled":
      stopMedia();
      showOutcome("ended", payload.state === "expired" ? _("This registration has expired.") : stateLabel(payload.state), "");
      setPrompt("", null);
      show(homeLink, true);
      show(restartLink, true);
      return;
    default:
  }
}

function showDecision(payload) {
  const titles = {
    approved: _("Approved: the number can be activated."),
    rejected: _("Rejected."),
    manual_review: _("Sent to a supervisor for review."),
  };
  setPrompt("", null);
  showOutcome(payload.state, titles[payload.state], reasonsText(payload.decision_reasons));
  show(resultLink, true);
  show(homeLink, true);
}

// --- the capture connection ---------------------------------------------------------------------

async function gatheredOffer() {
  pc = new RTCPeerConnection({ iceServers });
  for (const track of stream.getVideoTracks()) await limitFaceSender(pc.addTrack(track, stream), FPS_BUDGET);
  await pc.setLocalDescription(await pc.createOffer());
  // The server does not trickle: wait until our candidates are in the offer (bounded wait).
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const timer = setTimeout(resolve, 3000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc && pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return pc.localDescription.sdp;
}

async function onCaptureMessage(message) {
  switch (message.type) {
    case "ready":
      attemptOpen = true;
      stepCount = message.steps;
      prompted = [];
      session.attempt_count = message.attempt;
      renderSteps(0, 0);
      setPhase("connecting");
      setPrompt(_("Connecting…"), null);
      captureSocket.send(JSON.stringify({ type: "offer", sdp: await gatheredOffer() }));
      return;
    case "answer":
      await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      setPrompt(_("Look at the camera, face inside the oval"), null);
      return;
    case "status":
      onStatus(message);
      return;
    case "captured":
      attemptOpen = false;
      attemptPhaseStarted = false;
      if (root.dataset.phase === "not_passed") {
        stopMedia(); // the failure is on screen; the stored verdict follows on the session socket
        return;
      }
      setPhase("checking");
      setPrompt(_("Checking…"), null);
      stopMedia();
      setTimeout(() => {
        if (root.dataset.phase === "checking") {
          setHint("slow_decision");
          show(resultLink, true);
        }
      }, 20000);
      return;
    case "ended":
      attemptOpen = false;
      attemptPhaseStarted = false;
      stopMedia();
      showOutcome("ended", _("The live check was interrupted."), ENDED_TEXT[message.reason] ? ENDED_TEXT[message.reason]() : message.reason);
      setPrompt("", null);
      session.state = "liveness_failed";
      showAttemptsLeft();
      offerRetry();
      return;
    case "error":
      onCaptureError(message);
      return;
    default:
  }
}

// The screen-light step (policy switch): the server reveals the colours with the prompt; each
// holds light_seconds (>= 1/3 s: at most three changes a second, WCAG 2.3.1). The prompt counts
// as shown once the first colour is painted.
let lightPlayed = null;
let lightTimer = null;
let lightChoice = null; // null: not asked yet; "lights" or "no_lights"

function playLight(stepIndex, colours, seconds) {
  if (lightPlayed === stepIndex || !colours || !colours.length) return;
  lightPlayed = stepIndex;
  const holdMs = Math.max(seconds * 1000, 334);
  let index = 0;
  const next = () => {
    if (index >= colours.length) {
      stopLight();
      return;
    }
    lightOverlay.style.backgroundColor = colours[index];
    index += 1;
    lightTimer = setTimeout(next, holdMs);
  };
  show(lightOverlay, true);
  next();
  acknowledgePrompt(stepIndex);
}

function stopLight() {
  clearTimeout(lightTimer);
  lightTimer = null;
  show(lightOverlay, false);
}

function askAboutLights() {
  show(lightWarning, true);
  setPhase("idle");
  setPrompt("", null);
  return new Promise((resolve) => {
    const choose = (choice) => {
      lightChoice = choice;
      show(lightWarning, false);
      resolve();
    };
    document.getElementById("light-start").addEventListener("click", () => choose("lights"), { once: true });
    document.getElementById("no-lights").addEventListener("click", () => choose("no_lights"), { once: true });
  });
}

function onStatus(status) {
  if (status.step !== "light" || status.finished) stopLight();
  if (status.finished) {
    if (lastStepEndedAt === null) lastStepEndedAt = performance.now();
    setCountdown(null);
    setOvalStep(null);
    if (status.passed === false) {
      showFailedStep(status);
      return;
    }
    renderSteps(stepCount, -1);
    setHint(null);
    setPhase("checking");
    setPrompt(_("Done. Checking…"), "iconDone");
    voice.say("checking");
    return;
  }
  setPhase("challenge");
  if (status.step) {
    challengeStarted = true;
    prompted[status.step_index] = status.step;
  }
  renderSteps(status.steps_done, status.step ? status.step_index : -1);
  if (status.step) {
    setPrompt(STEP_TEXT[status.step] ? STEP_TEXT[status.step]() : status.step, STEP_ICON[status.step]);
    voice.say(status.step, `step-${status.step_index}`);
    if (status.step === "light") playLight(status.step_index, status.light, status.light_seconds);
    else acknowledgePrompt(status.step_index);
  } else {
    promptAcknowledged = null; // a hold-still gap comes before every prompt
    setPrompt(_("Look at the camera, face inside the oval"), null);
    voice.say("look_at_camera");
  }
  setOvalStep(status.step);
  // The step's clock is shown once the face is tracked and a step is asked for, never before.
  setCountdown(status.step ? status.seconds_left : null);
  proposeHint(hintForStep(status.step, status.hint));
}

// The engine ended the attempt without a pass: the steps done keep their ✓, the one that was
// running is marked as not passed, and nothing on screen says "done".
function showFailedStep(status) {
  const index = challengeStarted ? Math.min(status.steps_done, stepCount - 1) : -1;
  // Only a prompted step is named (a failure in the still gap before a prompt names none).
  failedStep = index >= 0 && prompted[index] ? { index, step: prompted[index] } : null;
  renderSteps(status.steps_done, -1, index);
  setPrompt("", null);
  showOutcome("not_passed", _("The live check did not pass."), failureText(failedStep, []));
  showAttemptsLeft();
  voice.say("not_passed");
}

// The server times the customer's reaction from when the prompt was on screen (it bounds what we say).
function acknowledgePrompt(stepIndex) {
  if (promptAcknowledged === stepIndex) return;
  promptAcknowledged = stepIndex;
  requestAnimationFrame(() => {
    if (captureSocket && captureSocket.readyState === WebSocket.OPEN) {
      captureSocket.send(JSON.stringify({ type: "prompt_shown", step_index: stepIndex }));
    }
  });
}

function onCaptureError(message) {
  if (attemptOpen && ["invalid_offer", "unknown_message", "invalid_message", "not_ready"].includes(message.code)) {
    setHint(null);
    outcomeDetail.textContent = message.message;
    return;
  }
  attemptOpen = false;
  attemptPhaseStarted = false;
  stopMedia();
  const text = REFUSAL_TEXT[message.code] ? REFUSAL_TEXT[message.code]() : message.message;
  showOutcome("refused", _("The live check cannot start."), text);
  root.dataset.errorCode = message.code;
  setPrompt("", null);
  show(retryButton, message.code === "busy");
  show(homeLink, true);
  show(restartLink, message.code === "session_expired");
}

async function startCamera() {
  try {
    stream = await openCamera("face", FACE_VIDEO);
  } catch (error) {
    attemptPhaseStarted = false;
    setPhase("camera_denied");
    const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    showOutcome(
      "camera_denied",
      denied ? _("The camera is blocked.") : _("No camera is available."),
      denied ? _("Allow the camera for this site in the browser settings, then try again.") : _("Connect a camera, then try again."),
    );
    setPrompt("", null);
    show(retryButton, true);
    show(homeLink, true);
    show(byHandButton, ["consented", "liveness_failed"].includes(session.state));
    return false;
  }
  preview.srcObject = stream;
  // A different camera is chosen before the attempt starts: the stream is swapped in place.
  offerCameraChoice(cameraSelect, "face", activeDeviceId(stream), () => {
    if (root.dataset.phase !== "connecting" && root.dataset.phase !== "challenge") return;
    switchCamera();
  });
  return true;
}

async function switchCamera() {
  let next;
  try {
    next = await openCamera("face", FACE_VIDEO);
  } catch {
    return; // keep the camera that works
  }
  const track = next.getVideoTracks()[0];
  const sender = pc && pc.getSenders().find((candidate) => candidate.track && candidate.track.kind === "video");
  if (sender) await sender.replaceTrack(track);
  if (stream) stream.getTracks().forEach((old) => old.stop());
  stream = next;
  preview.srcObject = stream;
}

async function startAttempt() {
  attemptPhaseStarted = true;
  show(outcomeBox, false);
  show(retryButton, false);
  show(homeLink, false);
  show(byHandButton, false);
  lastStepEndedAt = null;
  failedStep = null;
  challengeStarted = false;
  voice.reset();
  show(attemptsLine, false);
  delete root.dataset.decisionMs;
  delete root.dataset.errorCode;
  lightPlayed = null;
  if (root.dataset.lightChallenge === "on" && lightChoice === null) await askAboutLights();
  setPhase("starting");
  setPrompt(_("Starting the camera…"), null);
  if (!(await startCamera())) return;
  const noLights = lightChoice === "no_lights" ? "?no_lights=1" : "";
  captureSocket = new WebSocket(socketUrl(root.dataset.captureSocket + noLights));
  captureSocket.addEventListener("message", (event) => onCaptureMessage(JSON.parse(event.data)));
  captureSocket.addEventListener("close", () => {
    captureSocket = null;
  });
}

retryButton.addEventListener("click", () => startAttempt());

// Without a camera the customer can still be registered: a supervisor checks the document by hand.
byHandButton.addEventListener("click", async () => {
  byHandButton.disabled = true;
  const result = await api(root.dataset.alternativeUrl, { method: "POST", json: { reason: "camera_unavailable" } });
  byHandButton.disabled = false;
  if (result.ok) {
    window.location.assign(root.dataset.alternativeNext);
    return;
  }
  outcomeDetail.textContent = errorMessage(result.error);
});
window.addEventListener("pagehide", () => {
  if (captureSocket) captureSocket.close();
  stopMedia();
});

liveSocket(root.dataset.sessionSocket, (message) => {
  if (message.type === "session") onSession(message.session);
});

if (["consented", "liveness_running"].includes(session.state)) {
  startAttempt();
} else {
  setPhase("idle");
  onSession(session);
}
