// The camera of the e2e page: a canvas that plays the prompt-following customer of
// bench/actors/customer.py. Python decides everything (which segment for which prompt, the
// reaction delays) and passes it in as DIRECTIONS; this script only plays what it is told:
// it loops "idle", and when the page acknowledges the k-th prompt (the `prompt_shown` message the
// capture page sends once the prompt is on screen) it plays the segment named for that step after
// reactions[k] seconds, then returns to idle. Like a person, it knows a step only from its prompt:
// the action of step k is read from the server's status that prompts it (the page acknowledges
// that status), never from "ready", which gives the step count alone. getUserMedia returns the
// canvas's stream. With DIRECTIONS.light_latency set, the camera is also lit by the screen: while
// the page's light overlay shows a colour, the idle frames are the ones Python rendered under that
// colour ("lit-rrggbb"), switched light_latency seconds after the overlay changed.
(() => {
  const DIRECTIONS = __DIRECTIONS__;
  const fps = DIRECTIONS.fps;
  const images = {};
  const loaded = Promise.all(
    Object.entries(DIRECTIONS.counts).map(([name, count]) =>
      Promise.all(
        Array.from({ length: count }, (_, index) => new Promise((resolve, reject) => {
          const image = new Image();
          image.onload = () => resolve(image);
          image.onerror = () => reject(new Error(`customer frame ${name}/${index} did not load`));
          image.src = `${DIRECTIONS.base}${name}/${index}.jpg`;
        })),
      ).then((list) => { images[name] = list; }),
    ),
  );
  let canvas = null;
  let context = null;
  let prompted = [];
  let playing = null;
  const queued = [];
  const log = [];
  window.__customerLog = log;

  const screenLog = [];

  function screenColour() {
    const overlay = document.getElementById("light-overlay");
    if (!overlay || overlay.hidden) return null;
    const rgb = overlay.style.backgroundColor.match(/\d+/g);
    return rgb ? rgb.slice(0, 3).map((v) => Number(v).toString(16).padStart(2, "0")).join("") : null;
  }

  function idleFrames(now) {
    if (DIRECTIONS.light_latency === null) return images.idle;
    const colour = screenColour();
    if (!screenLog.length || screenLog[screenLog.length - 1].colour !== colour) screenLog.push({ at: now, colour });
    const seen = now - DIRECTIONS.light_latency * 1000;
    let lit = null;
    for (const entry of screenLog) if (entry.at <= seen) lit = entry.colour;
    return (lit && images[`lit-${lit}`]) || images.idle;
  }

  function draw() {
    const now = performance.now();
    if (playing) {
      const index = Math.floor(((now - playing.started) * fps) / 1000);
      if (index < images[playing.name].length) {
        context.drawImage(images[playing.name][index], 0, 0);
        return;
      }
      playing = null;
    }
    if (queued.length && queued[0].at <= now) {
      const next = queued.shift();
      playing = { name: next.action, started: now };
      log.push({ action: next.action, step_index: next.step_index, at: now });
      context.drawImage(images[next.action][0], 0, 0);
      return;
    }
    const idle = idleFrames(now);
    context.drawImage(idle[Math.floor((now * fps) / 1000) % idle.length], 0, 0);
  }

  function onPromptShown(stepIndex) {
    const action = DIRECTIONS.respond[prompted[stepIndex]];
    log.push({ prompt: prompted[stepIndex], step_index: stepIndex, at: performance.now() });
    if (!action) return;
    const delay = DIRECTIONS.reactions[stepIndex % DIRECTIONS.reactions.length];
    queued.push({ at: performance.now() + delay * 1000, action, step_index: stepIndex });
  }

  const NativeSocket = window.WebSocket;
  const nativeSend = NativeSocket.prototype.send;
  NativeSocket.prototype.send = function send(data) {
    try {
      const message = JSON.parse(data);
      if (message.type === "prompt_shown") onPromptShown(message.step_index);
    } catch (error) { /* not JSON: not ours */ }
    return nativeSend.call(this, data);
  };
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        try {
          const message = JSON.parse(event.data);
          if (message.type === "ready") {
            prompted = [];
            queued.length = 0;
          } else if (message.type === "status" && message.step) {
            prompted[message.step_index] = message.step;
          }
        } catch (error) { /* not JSON */ }
      });
    }
  };

  navigator.mediaDevices.getUserMedia = async () => {
    await loaded;
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.width = DIRECTIONS.width;
      canvas.height = DIRECTIONS.height;
      context = canvas.getContext("2d");
      draw();
      setInterval(draw, 1000 / fps);
    }
    const stream = canvas.captureStream(fps);
    // Keep the resolution when the (shared, busy) machine makes Chrome adapt: the eyes need it.
    stream.getVideoTracks().forEach((track) => { track.contentHint = "detail"; });
    return stream;
  };
})();
