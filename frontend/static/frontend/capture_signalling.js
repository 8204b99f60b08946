// The attempt's connection to the server: the capture WebSocket (signalling and the prompts) and the
// WebRTC peer that sends the camera. One link serves the page's attempts one after the other; a
// message from a socket that is no longer the current one is dropped.

// The server does not trickle: the offer waits until our candidates are in it, at most this long.
export const ICE_GATHERING_MS = 3000;

export class CaptureLink {
  constructor({
    iceServers,
    prepareSender = async () => {},
    makeSocket = (url) => new WebSocket(url),
    makePeer = (config) => new RTCPeerConnection(config),
    timers = globalThis,
    nextFrame = (callback) => requestAnimationFrame(callback),
  }) {
    this.iceServers = iceServers;
    this.prepareSender = prepareSender;
    this.makeSocket = makeSocket;
    this.makePeer = makePeer;
    this.timers = timers;
    this.nextFrame = nextFrame;
    this.socket = null;
    this.peer = null;
    this.stream = null;
  }

  // Open the attempt's socket; `onMessage` gets each message of this socket only.
  open(url, onMessage) {
    const socket = this.makeSocket(url);
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      if (this.socket === socket) onMessage(JSON.parse(event.data));
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
    });
  }

  send(message) {
    if (!this.socket || this.socket.readyState !== 1) return false; // 1: WebSocket.OPEN
    this.socket.send(JSON.stringify(message));
    return true;
  }

  // The reaction window runs from when the prompt is on screen: say so after the next paint.
  promptShown(stepIndex) {
    this.nextFrame(() => this.send({ type: "prompt_shown", step_index: stepIndex }));
  }

  async sendOffer() {
    const peer = this.makePeer({ iceServers: this.iceServers });
    this.peer = peer;
    for (const track of this.stream ? this.stream.getVideoTracks() : []) {
      await this.prepareSender(peer.addTrack(track, this.stream));
    }
    await peer.setLocalDescription(await peer.createOffer());
    await this.gathered(peer);
    if (this.peer !== peer) return false; // closed while gathering
    return this.send({ type: "offer", sdp: peer.localDescription.sdp });
  }

  gathered(peer) {
    return new Promise((resolve) => {
      if (peer.iceGatheringState === "complete") return resolve();
      const timer = this.timers.setTimeout(resolve, ICE_GATHERING_MS);
      peer.addEventListener("icegatheringstatechange", () => {
        if (peer.iceGatheringState === "complete") {
          this.timers.clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async accept(sdp) {
    if (this.peer) await this.peer.setRemoteDescription({ type: "answer", sdp });
  }

  // The camera the attempt sends; a new one replaces the track in flight and stops the old camera.
  async useCamera(stream) {
    const old = this.stream;
    this.stream = stream;
    const track = stream.getVideoTracks()[0];
    const sender = this.peer && this.peer.getSenders().find((candidate) => candidate.track && candidate.track.kind === "video");
    if (sender && track) await sender.replaceTrack(track);
    if (old && old !== stream) old.getTracks().forEach((each) => each.stop());
  }

  // The media ends (the camera off, the peer closed); the socket stays for the server's last word.
  stopMedia() {
    if (this.peer) this.peer.close();
    this.peer = null;
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.stopMedia();
  }
}
