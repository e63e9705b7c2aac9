// Shared by the run-view tests: the captured fixtures, fake timers and a fake WebSocket.
import { readFileSync } from "node:fs";

const cache = new Map();

/** A fixture made by make_fixtures.py: {topology, batches, samples, summary, finished}. */
export function fixture(name) {
  if (!cache.has(name)) {
    cache.set(name, JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")));
  }
  return cache.get(name);
}

export function allSegments(name) {
  return fixture(name).batches.flat();
}

/** Timers under the test's control: advance(ms) runs what falls due, in order. */
export function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map();
  return {
    setTimeout(callback, delay = 0) {
      pending.set(next, { callback, at: now + delay, delay });
      return next++;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    delays: () => [...pending.values()].map((timer) => timer.delay),
    get size() {
      return pending.size;
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
  };
}

/** A WebSocket class whose instances the test opens, feeds and closes. */
export function fakeWebSocketClass() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closedWith = null;
      sockets.push(this);
    }
    send(text) {
      if (this.readyState !== 1) throw new Error("not open");
      this.sent.push(JSON.parse(text));
    }
    close(code) {
      this.closedWith = code;
      this.readyState = 3;
    }
    // --- driven by the test ---
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    deliver(message) {
      this.onmessage?.({ data: typeof message === "string" ? message : JSON.stringify(message) });
    }
    serverClose(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code });
    }
  }
  FakeWebSocket.sockets = sockets;
  return FakeWebSocket;
}
