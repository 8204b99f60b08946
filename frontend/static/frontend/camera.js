// Which camera a page uses: when the tablet has more than one (front, rear, a USB camera), a
// picker appears and the choice is remembered on this device (localStorage), per purpose
// ("face" for the live check, "document" for the ID photo).
import { _ } from "./api.js";

const KEY = (purpose) => `shiming.camera.${purpose}`;

export function rememberedCamera(purpose) {
  try {
    return window.localStorage.getItem(KEY(purpose)) || null;
  } catch {
    return null; // storage disabled: the default camera
  }
}

export function rememberCamera(purpose, deviceId) {
  try {
    if (deviceId) window.localStorage.setItem(KEY(purpose), deviceId);
    else window.localStorage.removeItem(KEY(purpose));
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

// The video constraints: the remembered camera if it is still there, else the side that fits.
export function videoConstraints(purpose, extra, cameras = []) {
  const chosen = rememberedCamera(purpose);
  if (chosen && (!cameras.length || cameras.some((camera) => camera.deviceId === chosen))) {
    return { ...extra, deviceId: { exact: chosen } };
  }
  return { ...extra, facingMode: { ideal: purpose === "document" ? "environment" : "user" } };
}

// The stream of the remembered camera; when that camera is gone (unplugged), it is forgotten and
// the default side is opened instead. Other errors (blocked, none at all) reach the page.
export async function openCamera(purpose, extra) {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: videoConstraints(purpose, extra), audio: false });
  } catch (error) {
    if (!rememberedCamera(purpose) || !["OverconstrainedError", "NotFoundError"].includes(error && error.name)) throw error;
    rememberCamera(purpose, null);
    return navigator.mediaDevices.getUserMedia({ video: videoConstraints(purpose, extra), audio: false });
  }
}

export async function listCameras() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((device) => device.kind === "videoinput" && device.deviceId);
}

// Fill `select` with the cameras (labels are known once the camera was allowed) and show it
// only when there is a choice; `onChange` gets the chosen deviceId after it is remembered.
export async function offerCameraChoice(select, purpose, activeDeviceId, onChange) {
  const cameras = await listCameras();
  const wrapper = select.closest("[data-camera-choice]") || select;
  wrapper.hidden = cameras.length < 2;
  if (cameras.length < 2) return cameras;
  select.replaceChildren(...cameras.map((camera, index) => {
    const option = document.createElement("option");
    option.value = camera.deviceId;
    option.textContent = camera.label || `${_("Camera")} ${index + 1}`;
    option.selected = camera.deviceId === activeDeviceId;
    return option;
  }));
  select.onchange = () => {
    rememberCamera(purpose, select.value);
    onChange(select.value);
  };
  return cameras;
}

export function activeDeviceId(stream) {
  const track = stream && stream.getVideoTracks()[0];
  return track && track.getSettings ? track.getSettings().deviceId || null : null;
}

// The live check analyses at most `fps` frames a second (the engine's budget, SHIMING_LIVENESS_FPS)
// of a 640x480 picture (the size its face-size and sharpness checks were set on): asking the
// camera and the encoder for more only makes the server receive, decrypt and decode frames it
// then drops (docs/capacity.md).
export const FACE_WIDTH = 640;
export const FACE_HEIGHT = 480;

export function faceVideo(fps) {
  return {
    width: { ideal: FACE_WIDTH },
    height: { ideal: FACE_HEIGHT },
    // "ideal", not "max": a camera without a mode this slow is still opened (the encoder limit
    // below then drops the extra frames before they are sent).
    frameRate: { ideal: fps },
  };
}

// The encoder's limits for the face track: frame rate at the budget, the bitrate the server set
// (kbit/s, SHIMING_FACE_VIDEO_KBPS; its answer also tells Chromium to start there), and a camera
// that gave a larger picture than asked scaled down to 640 wide. A browser that refuses (older ones
// cannot set parameters before the offer) still sends video: only the server pays.
export async function limitFaceSender(sender, fps, kbps) {
  if (!sender || !sender.getParameters || !sender.setParameters) return false;
  try {
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    const settings = sender.track && sender.track.getSettings ? sender.track.getSettings() : {};
    const encoding = params.encodings[0];
    encoding.maxFramerate = fps;
    if (kbps > 0) encoding.maxBitrate = kbps * 1000;
    encoding.scaleResolutionDownBy = Math.max(1, (settings.width || FACE_WIDTH) / FACE_WIDTH);
    await sender.setParameters(params);
    return true;
  } catch {
    return false;
  }
}
