import { _, api, errorMessage, show } from "./api.js";
import { activeDeviceId, offerCameraChoice, openCamera } from "./camera.js";

const root = document.getElementById("document");
const video = document.getElementById("document-camera");
const canvas = document.getElementById("document-canvas");
const startButton = document.getElementById("camera-start");
const shootButton = document.getElementById("camera-shoot");
const fileInput = document.getElementById("document-file");
const statusLine = document.getElementById("document-status");
const errorBox = document.getElementById("document-error");
const portraitBox = document.getElementById("portrait-box");
const portrait = document.getElementById("portrait");
const cameraSelect = document.getElementById("camera-select");
const DOCUMENT_VIDEO = { width: { ideal: 1920 }, height: { ideal: 1080 } };
let stream = null;

function showPortrait() {
  portrait.src = `${root.dataset.portraitUrl}?v=${Date.now()}`;
  show(portraitBox, true);
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  show(video, false);
  show(shootButton, false);
}

async function upload(blob, name) {
  show(errorBox, false);
  show(portraitBox, false);
  statusLine.textContent = _("Checking the document photo…");
  const form = new FormData();
  form.append("image", blob, name);
  form.append("source", "photo");
  const result = await api(root.dataset.uploadUrl, { method: "POST", form });
  statusLine.textContent = "";
  if (result.ok) {
    showPortrait();
    return;
  }
  errorBox.textContent = `${_("The photo was refused:")} ${errorMessage(result.error)}`;
  show(errorBox, true);
}

async function startCamera() {
  show(errorBox, false);
  if (stream) stream.getTracks().forEach((track) => track.stop());
  try {
    stream = await openCamera("document", DOCUMENT_VIDEO);
  } catch (error) {
    errorBox.textContent = error.name === "NotAllowedError"
      ? _("The camera is blocked: allow it in the browser, or upload a file.")
      : _("No camera is available: upload a file instead.");
    show(errorBox, true);
    return;
  }
  video.srcObject = stream;
  show(video, true);
  show(shootButton, true);
  await video.play();
  offerCameraChoice(cameraSelect, "document", activeDeviceId(stream), () => startCamera());
}

// The outlet's card reader reads the chip: the page opens the request, the reader agent answers it
// with a signed read, and the page waits for the session to show the chip's portrait.
async function readChip() {
  show(errorBox, false);
  statusLine.textContent = _("Place the card on the reader…");
  const before = await api(root.dataset.sessionUrl);
  const opened = await api(root.dataset.chipUrl, { method: "POST" });
  if (!opened.ok) {
    statusLine.textContent = "";
    errorBox.textContent = errorMessage(opened.error);
    show(errorBox, true);
    return;
  }
  const expires = Date.parse(opened.data.expires_at);
  while (Date.now() < expires) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await api(root.dataset.sessionUrl);
    if (!now.ok) continue;
    if (now.data.reference_binding === "chip" && now.data.document_captured_at !== before.data?.document_captured_at) {
      statusLine.textContent = _("The chip was read.");
      showPortrait();
      return;
    }
    if (now.data.reference_unbound_reason === "chip_unreadable") {
      statusLine.textContent = "";
      errorBox.textContent = _("The card's chip could not be read: photograph the card instead; a supervisor will check.");
      show(errorBox, true);
      return;
    }
  }
  statusLine.textContent = "";
  errorBox.textContent = _("No answer from the card reader: check that it is connected, then try again.");
  show(errorBox, true);
}

document.getElementById("chip-read").addEventListener("click", () => readChip());
startButton.addEventListener("click", () => startCamera());

shootButton.addEventListener("click", () => {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  stopCamera();
  canvas.toBlob((blob) => upload(blob, "document.jpg"), "image/jpeg", 0.92);
});

fileInput.addEventListener("change", () => {
  const file = fileInput.files[0];
  if (file) upload(file, file.name);
  fileInput.value = "";
});

if (root.dataset.hasPortrait) showPortrait();
