// The registration's time, on the customer's screens: how long is left, one extension while the
// consent is read, and the hand-back screen (the result page) when the time is up.
import { _, api, errorMessage, format, show } from "./api.js";
import { LANGUAGE_EVENT } from "./language.js";

const box = document.getElementById("time-left");
const label = document.getElementById("time-left-text");
const moreButton = document.getElementById("more-time");
const errorBox = document.getElementById("more-time-error");
// The server's clock against this tablet's: the limit is the server's.
const skewMs = Date.parse(box.dataset.now) - Date.now();
let expiresAt = Date.parse(box.dataset.expiresAt);
const warnMs = Number(box.dataset.warnSeconds) * 1000;

function remainingMs() {
  return expiresAt - (Date.now() + skewMs);
}

function tick() {
  const left = Math.max(0, Math.ceil(remainingMs() / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  label.textContent = format(_("Time left: %(time)s"), { time: `${minutes}:${seconds}` });
  box.dataset.seconds = String(left);
  box.classList.toggle("warning", left * 1000 <= warnMs);
  if (moreButton) show(moreButton, left * 1000 <= warnMs && box.dataset.extended !== "1");
  if (left === 0 && box.dataset.endUrl && !box.dataset.ended) {
    box.dataset.ended = "1"; // the result page says the time is up (and, in customer mode, asks for the tablet back)
    window.location.assign(box.dataset.endUrl);
  }
}

async function askForMoreTime() {
  moreButton.disabled = true;
  const result = await api(box.dataset.extendUrl, { method: "POST", json: {} });
  box.dataset.extended = "1";
  show(moreButton, false);
  if (result.ok) {
    expiresAt = Date.parse(result.data.expires_at);
  } else {
    errorBox.textContent = errorMessage(result.error);
    show(errorBox, true);
  }
  tick();
}

if (moreButton) moreButton.addEventListener("click", askForMoreTime);
document.addEventListener(LANGUAGE_EVENT, tick); // the page's words changed in place (language.js)
tick();
window.setInterval(tick, 1000);
