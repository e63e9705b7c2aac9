// The run stream's client (/ws/runs/<id>/?after=<seq>): applies messages strictly in seq order,
// drops duplicates, holds early messages until the gap before them is filled (and reconnects
// from the last applied seq when it is not filled soon), reconnects by itself with backoff, and
// sends control/cancel messages (queued while disconnected: the latest control wins).
//
// DOM-free: the WebSocket constructor, the timers and the random source are injected, so the
// tests drive it without a network or a clock.

// The server's closes that end the stream: not signed in, and a run that does not exist or is
// someone else's (one code for both, as the API's 404).
export const CLOSE_SIGNED_OUT = 4401;
export const CLOSE_NOT_FOUND = 4404;

const DEFAULTS = {
  backoffMs: [250, 500, 1000, 2000, 4000, 8000], // then the last one, with jitter
  gapWaitMs: 2000, // how long an early message waits for the ones before it
};

/**
 * new RunStream({url, WebSocket, timers, random, onMessage, onState, onError})
 * - url: the socket's URL without query (e.g. "wss://host/ws/runs/7/").
 * - onMessage(message): each server message with a seq, once, in order.
 * - onState(state, detail): "connecting" | "open" | "reconnecting" (detail: ms until the next try)
 *   | "closed" (the run ended and everything was received, or stop()) | "signed_out" | "not_found".
 * - onError(message): server "error" answers (not part of the numbered stream).
 */
export class RunStream {
  constructor({ url, WebSocket, timers = globalThis, random = Math.random, onMessage, onState = () => {}, onError = () => {}, after = 0, options = {} }) {
    this.url = url;
    this.WebSocket = WebSocket;
    this.timers = timers;
    this.random = random;
    this.onMessage = onMessage;
    this.onState = onState;
    this.onError = onError;
    this.options = { ...DEFAULTS, ...options };
    this.lastSeq = after;
    this.pending = new Map(); // seq -> message received early
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.gapTimer = null;
    this.finished = false; // run.finished applied: nothing more will come
    this.stopped = false;
    this.state = "idle";
    this.outbox = { control: null, cancel: false };
    this.stats = { received: 0, applied: 0, duplicates: 0, reconnects: 0, gaps: 0 };
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      try { socket.close(1000); } catch { /* already closing */ }
    }
    this.setState("closed");
  }

  /** Ask for a speed (virtual s per wall s; null = as fast as possible) and paused or not. */
  control({ speed, paused }) {
    this.outbox.control = { type: "control", speed: speed ?? null, paused: Boolean(paused) };
    this.flushOutbox();
  }

  cancel() {
    this.outbox.cancel = true;
    this.flushOutbox();
  }

  // --- Connection -----------------------------------------------------------------------------

  connect() {
    if (this.stopped || this.finished) return;
    this.setState(this.attempt ? "reconnecting" : "connecting");
    const separator = this.url.includes("?") ? "&" : "?";
    let socket;
    try {
      socket = new this.WebSocket(`${this.url}${separator}after=${this.lastSeq}`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.setState("open");
      this.flushOutbox();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closed(event.code);
    };
    socket.onerror = () => { /* a close event follows */ };
  }

  closed(code) {
    this.clearGap();
    if (code === CLOSE_SIGNED_OUT) return this.end("signed_out");
    if (code === CLOSE_NOT_FOUND) return this.end("not_found");
    if (this.finished || this.stopped) return this.setState("closed");
    this.scheduleReconnect();
  }

  end(state) {
    this.stopped = true;
    this.clearTimers();
    this.setState(state);
  }

  scheduleReconnect() {
    if (this.stopped || this.finished) return;
    const steps = this.options.backoffMs;
    const base = steps[Math.min(this.attempt, steps.length - 1)];
    // Full jitter on the upper half: many pages reconnecting after a restart do not stampede.
    const delay = Math.round(base / 2 + this.random() * base / 2);
    this.attempt += 1;
    this.stats.reconnects += 1;
    this.pending.clear(); // the server replays everything after lastSeq
    this.setState("reconnecting", delay);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  /** Drop the connection and resume from the last applied seq (used when a gap is not filled). */
  resync() {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      try { socket.close(4000); } catch { /* ignore */ }
    }
    this.scheduleReconnect();
  }

  // --- Messages -------------------------------------------------------------------------------

  receive(data) {
    let message;
    try {
      message = typeof data === "string" ? JSON.parse(data) : data;
    } catch {
      return this.onError({ type: "error", message: "a message that is not JSON" });
    }
    if (!message || typeof message.seq !== "number") {
      this.onError(message);
      return;
    }
    this.stats.received += 1;
    const seq = message.seq;
    if (seq <= this.lastSeq || this.pending.has(seq)) {
      this.stats.duplicates += 1;
      return;
    }
    if (seq === this.lastSeq + 1) {
      this.apply(message);
      this.drain();
    } else {
      this.pending.set(seq, message);
      this.stats.gaps += 1;
      if (this.gapTimer === null) {
        this.gapTimer = this.timers.setTimeout(() => {
          this.gapTimer = null;
          if (this.pending.size) this.resync();
        }, this.options.gapWaitMs);
      }
    }
  }

  drain() {
    let next = this.pending.get(this.lastSeq + 1);
    while (next) {
      this.pending.delete(next.seq);
      this.apply(next);
      next = this.pending.get(this.lastSeq + 1);
    }
    if (!this.pending.size) this.clearGap();
  }

  apply(message) {
    this.lastSeq = message.seq;
    this.stats.applied += 1;
    this.attempt = 0; // the connection delivers: the next failure starts the backoff again
    if (message.type === "run.finished") this.finished = true;
    this.onMessage(message);
  }

  flushOutbox() {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return;
    if (this.outbox.control) {
      socket.send(JSON.stringify(this.outbox.control));
      this.outbox.control = null;
    }
    if (this.outbox.cancel) {
      socket.send(JSON.stringify({ type: "cancel" }));
      this.outbox.cancel = false;
    }
  }

  // --- Helpers --------------------------------------------------------------------------------

  setState(state, detail) {
    if (state === this.state && detail === undefined) return;
    this.state = state;
    this.onState(state, detail);
  }

  clearGap() {
    if (this.gapTimer !== null) {
      this.timers.clearTimeout(this.gapTimer);
      this.gapTimer = null;
    }
  }

  clearTimers() {
    this.clearGap();
    if (this.retryTimer !== null) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }
}

function detach(socket) {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
}

/** The socket URL of a run from the page's location (ws: or wss: as the page). */
export function streamUrl(location, runId) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/runs/${runId}/`;
}
