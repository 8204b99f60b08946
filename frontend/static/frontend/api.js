// Small helpers shared by the pages: JSON calls to the REST API, errors the clerk can read,
// and a WebSocket that re-opens itself.
const _ = (text) => (window.gettext ? window.gettext(text) : text);

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// The server words every error in the page's language (registration/error_messages.py): show it as
// it comes. Only a failure that never reached the server is worded here.
export function errorMessage(error) {
  return (error && error.message) || _("Something went wrong: try again.");
}

export async function api(url, { method = "GET", json, form } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch {
    return { ok: false, status: 0, error: { code: "unavailable", message: _("The network is unavailable.") } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data };
  return { ok: false, status: response.status, error: (data && data.error) || { code: "error", message: "" } };
}

export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

// Closed because the customer holds the tablet and this page is none of theirs (capture/user_access.py).
export const CLOSE_CUSTOMER_MODE = 4403;

// A WebSocket to a push-only endpoint that reconnects after a drop (the page re-reads on open). In
// customer mode a page that is not the customer's reloads: the server answers with the hand-back screen.
export function liveSocket(path, onMessage, onOpen) {
  let delay = 500;
  let closedByPage = false;
  let socket;
  const open = () => {
    socket = new WebSocket(socketUrl(path));
    socket.addEventListener("open", () => {
      delay = 500;
      if (onOpen) onOpen();
    });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (closedByPage) return;
      if (event.code === CLOSE_CUSTOMER_MODE) {
        window.location.reload();
        return;
      }
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  open();
  return { close: () => { closedByPage = true; socket.close(); } };
}

export function show(element, visible = true) {
  if (element) element.hidden = !visible;
}

export function stateLabel(state) {
  const labels = JSON.parse(document.getElementById("state-labels")?.textContent || "{}");
  return labels[state] || state;
}

export { _ };

// Named placeholders, "%(name)s", filled in a translated text (the catalogue's own `interpolate`).
export function format(text, values) {
  if (window.interpolate) return window.interpolate(text, values, true);
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// What a reason code means, in the page's language: the one table of the words for every reason a
// session can record (codes stay as they are in the API; tests/frontend/test_reason_words.py).
const REASON_TEXT = {
  distance_below_accept_threshold: () => _("The live face matches the document photo."),
  distance_between_thresholds: () => _("The match is not clear enough: a supervisor will check."),
  distance_above_reject_threshold: () => _("The live face does not match the document photo."),
  face_score_in_approve_band: () => _("The live face matches the document photo."),
  face_score_in_review_band: () => _("The match is not clear enough: a supervisor will check."),
  face_score_in_reject_band: () => _("The live face does not match the document photo."),
  no_blink: () => _("No blink was seen."),
  no_turn: () => _("The head turn was not seen."),
  turn_too_small: () => _("The head turned, but not far enough: turn a little further."),
  turn_not_back: () => _("You turned far enough, but did not turn back to the screen in time."),
  step_timeout: () => _("A step was not done in time."),
  session_timeout: () => _("The check took too long."),
  calibration_failed: () => _("The face was not steady in front of the camera at the start."),
  planar_motion: () => _("The face moved like a flat photo."),
  identity_jump: () => _("The face in view changed during the check."),
  face_lost: () => _("The face left the camera's view during the check: stay in view until it ends."),
  suspected_injection: () => _("The video did not look like a live camera."),
  repeated_frames: () => _("The video repeated itself."),
  impossible_timestamps: () => _("The video's timing was impossible."),
  incomplete: () => _("The check was not finished."),
  wrong_action: () => _("A different movement was made than the one asked for (for example a turn the wrong way)."),
  too_early: () => _("The movement began before the prompt was on screen: wait for each prompt."),
  too_late: () => _("The movement began too long after the prompt."),
  light_mismatch: () => _("The light on the face did not follow the colours on the screen."),
  no_live_frame: () => _("No clear picture of the face was taken."),
  liveness_attempts_exhausted: () => _("No attempts are left."),
  no_face_found: () => _("No face was found."),
  several_faces: () => _("Several faces were found."),
  id_limit_reached: () => _("This identity document already holds the most numbers allowed."),
  phone_in_use: () => _("This phone number is already registered."),
  supervisor_approved: () => _("Approved by a supervisor."),
  supervisor_rejected: () => _("Rejected by a supervisor."),
  evidence_missing: () => _("A photo was missing: a supervisor will check."),
  model_unavailable: () => _("The face check is unavailable: a supervisor will check."),
  model_weights_missing: () => _("The face check is unavailable: a supervisor will check."),
  match_timeout: () => _("The face check took too long: a supervisor will check."),
  reference_unbound: () => _("The document is not bound to the typed identity (no chip read, no matching MRZ): a supervisor checks it."),
  prc_card_chip_not_read: () => _("The identity card was photographed, its chip was not read."),
  chip_unreadable: () => _("The identity card's chip could not be read."),
  prc_card_typed: () => _("The identity card's details were typed, not read from its chip: a supervisor decides."),
  mrz_unreadable: () => _("The document's machine-readable zone could not be read."),
  mrz_not_on_photo: () => _("The document photo shows no machine-readable zone."),
  mrz_reader_unavailable: () => _("The machine-readable zone reader is unavailable."),
  minor_needs_supervisor: () => _("The customer is a minor: a supervisor decides."),
  spoof_signals: () => _("An attempt showed signs of a replayed or injected video: a supervisor decides."),
  lights_declined: () => _("The check ran without its screen-light step."),
  identity_mismatch: () => _("The face in the matched pictures was not the same person throughout the check: a supervisor decides."),
  challenge_frames_missing: () => _("No picture from during the check could be compared: a supervisor decides."),
  camera_unavailable: () => _("The camera could not be used."),
  customer_refused_face_processing: () => _("The customer declined the face check."),
  liveness_not_passed: () => _("The live check did not pass: the customer asked for a person."),
  disconnected: () => _("The page was left or lost its connection during the check."),
  connection_failed: () => _("The video connection could not be set up."),
  connection_closed: () => _("The video connection closed during the check."),
  video_stalled: () => _("The camera's video stopped during the check."),
  server_error: () => _("The server failed during the check."),
  server_shutdown: () => _("The server restarted during the check."),
  access_ended: () => _("The clerk was signed out during the check."),
  not_saved: () => _("The end of the check could not be saved."),
  capture_lost: () => _("The server running the check was lost."),
  too_many_messages: () => _("The page sent too many messages during the check."),
  no_trace: () => _("No record of the live check was stored."),
  trace_invalid: () => _("The record of the live check could not be read."),
  face_matching_error: () => _("The face check failed: a supervisor will check."),
  unreadable_image: () => _("A photo could not be read: a supervisor will check."),
  portrait_unusable: () => _("The face on the document photo cannot be compared: a supervisor will check."),
  portrait_too_small: () => _("The face on the document photo is too small to compare: a supervisor will check."),
  portrait_blurred: () => _("The face on the document photo is blurred: a supervisor will check."),
  portrait_turned: () => _("The face on the document photo is turned away: a supervisor will check."),
  judgement_overdue: () => _("The checks were not finished in time: the registration was closed."),
  review_overdue: () => _("No supervisor decided in time: the registration was closed."),
};

export function reasonLabels(reasons) {
  return (reasons || []).map((code) => (REASON_TEXT[code] ? REASON_TEXT[code]() : code));
}
