import { test } from "node:test";
import assert from "node:assert/strict";

import { RunStream, streamUrl } from "../../../static/tracer/stream.js";
import { fakeTimers, fakeWebSocketClass, fixture } from "./helpers.js";

function setUp(options = {}) {
  const WebSocket = fakeWebSocketClass();
  const timers = fakeTimers();
  const applied = [];
  const states = [];
  const errors = [];
  const stream = new RunStream({
    url: "ws://console/ws/runs/7/",
    WebSocket,
    timers,
    random: () => 1,
    onMessage: (message) => applied.push(message),
    onState: (state, detail) => states.push(detail === undefined ? state : `${state}:${detail}`),
    onError: (message) => errors.push(message),
    ...options,
  }).start();
  const socket = () => WebSocket.sockets.at(-1);
  return { stream, WebSocket, timers, applied, states, errors, socket };
}

// The run's messages as the server would send them: real segment batches and samples.
function realMessages() {
  const data = fixture("sqs-lambda-dlq");
  const messages = [];
  let seq = 0;
  messages.push({ type: "run.status", seq: ++seq, status: "running", virtual_seconds: 0, speed: null, paused: false });
  data.batches.forEach((segments, index) => {
    messages.push({ type: "run.segments", seq: ++seq, segments });
    if (data.samples[index]) messages.push({ type: "run.metrics", seq: ++seq, sample: data.samples[index] });
  });
  messages.push({ type: "run.finished", seq: ++seq, status: "finished", summary: data.summary });
  return messages;
}

test("connects with after=0 and applies messages in order", () => {
  const { applied, socket, states } = setUp();
  assert.equal(socket().url, "ws://console/ws/runs/7/?after=0");
  socket().open();
  const messages = realMessages();
  for (const message of messages) socket().deliver(message);
  assert.deepEqual(applied.map((m) => m.seq), messages.map((m) => m.seq));
  assert.equal(applied.at(-1).type, "run.finished");
  assert.deepEqual(states, ["connecting", "open"]);
});

test("duplicates are dropped, early messages wait for the gap to be filled", () => {
  const { stream, applied, socket } = setUp();
  socket().open();
  const [m1, m2, m3, m4] = realMessages();
  socket().deliver(m1);
  socket().deliver(m1);
  socket().deliver(m3);
  socket().deliver(m4);
  assert.deepEqual(applied.map((m) => m.seq), [1]);
  socket().deliver(m2);
  assert.deepEqual(applied.map((m) => m.seq), [1, 2, 3, 4]);
  socket().deliver(m3);
  assert.deepEqual(applied.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(stream.stats.duplicates, 2);
});

test("a gap not filled in time makes it reconnect after the last applied seq", () => {
  const { applied, socket, timers, WebSocket } = setUp({ options: { gapWaitMs: 2000 } });
  socket().open();
  const messages = realMessages();
  socket().deliver(messages[0]);
  socket().deliver(messages[2]);
  timers.advance(1999);
  assert.equal(WebSocket.sockets.length, 1);
  timers.advance(1);
  assert.equal(WebSocket.sockets[0].closedWith, 4000);
  timers.advance(250); // first backoff step (random 1 -> the full step)
  assert.equal(WebSocket.sockets.length, 2);
  assert.equal(socket().url, "ws://console/ws/runs/7/?after=1");
  socket().open();
  for (const message of messages.slice(1)) socket().deliver(message); // the server's replay
  assert.deepEqual(applied.map((m) => m.seq), messages.map((m) => m.seq));
});

test("reconnects with growing backoff and resumes from the last seq, without gap or duplicate", () => {
  const { applied, socket, timers, WebSocket, states } = setUp();
  const messages = realMessages();
  socket().open();
  messages.slice(0, 3).forEach((m) => socket().deliver(m));
  socket().serverClose(1006);
  assert.equal(states.at(-1), "reconnecting:250");
  timers.advance(250);
  assert.equal(socket().url, "ws://console/ws/runs/7/?after=3");
  socket().serverClose(1006); // refused before opening
  assert.equal(states.at(-1), "reconnecting:500");
  timers.advance(500);
  socket().serverClose(1006);
  assert.equal(states.at(-1), "reconnecting:1000");
  timers.advance(1000);
  assert.equal(WebSocket.sockets.length, 4);
  socket().open();
  // The server replays from 4; a stale socket's late message is ignored.
  WebSocket.sockets[0].deliver(messages[5]);
  messages.slice(2).forEach((m) => socket().deliver(m)); // 3 is a duplicate here
  assert.deepEqual(applied.map((m) => m.seq), messages.map((m) => m.seq));
  // Applied messages reset the backoff; the run is finished, so a close does not reconnect.
  socket().serverClose(1000);
  assert.equal(states.at(-1), "closed");
  timers.advance(60_000);
  assert.equal(WebSocket.sockets.length, 4);
});

test("backoff stops growing at its last step, with jitter in the upper half", () => {
  const WebSocket = fakeWebSocketClass();
  const timers = fakeTimers();
  const delays = [];
  new RunStream({
    url: "ws://h/ws/runs/1/", WebSocket, timers, random: () => 0,
    onMessage() {}, onState: (state, detail) => state === "reconnecting" && detail !== undefined && delays.push(detail),
  }).start();
  for (let i = 0; i < 8; i += 1) {
    WebSocket.sockets.at(-1).serverClose(1006);
    timers.advance(10_000);
  }
  assert.deepEqual(delays, [125, 250, 500, 1000, 2000, 4000, 4000, 4000]);
});

test("4401 (signed out) and 4404 (no such run of yours) end the stream without reconnecting", () => {
  for (const [code, state] of [[4401, "signed_out"], [4404, "not_found"]]) {
    const { socket, timers, WebSocket, states } = setUp();
    socket().serverClose(code);
    timers.advance(60_000);
    assert.equal(WebSocket.sockets.length, 1);
    assert.equal(states.at(-1), state);
  }
});

test("controls are sent when open; while disconnected the latest one waits, cancel too", () => {
  const { stream, socket, timers } = setUp();
  stream.control({ speed: 10, paused: false });
  stream.control({ speed: 100, paused: true });
  socket().open();
  assert.deepEqual(socket().sent, [{ type: "control", speed: 100, paused: true }]);
  stream.control({ speed: null, paused: false });
  assert.deepEqual(socket().sent.at(-1), { type: "control", speed: null, paused: false });
  socket().serverClose(1006);
  stream.cancel();
  timers.advance(250);
  socket().open();
  assert.deepEqual(socket().sent, [{ type: "cancel" }]);
});

test("server error answers (no seq) go to onError, bad JSON too, and are not applied", () => {
  const { socket, applied, errors } = setUp();
  socket().open();
  socket().deliver({ type: "error", message: "speed must be a positive number" });
  socket().deliver("{not json");
  assert.equal(applied.length, 0);
  assert.equal(errors.length, 2);
  assert.equal(errors[0].message, "speed must be a positive number");
});

test("starting after a seq (a reloaded page) asks for what follows it; stop() closes for good", () => {
  const { socket, stream, timers, WebSocket, states } = setUp({ after: 41 });
  assert.equal(socket().url, "ws://console/ws/runs/7/?after=41");
  socket().open();
  stream.stop();
  assert.equal(socket().closedWith, 1000);
  timers.advance(60_000);
  assert.equal(WebSocket.sockets.length, 1);
  assert.equal(states.at(-1), "closed");
});

test("streamUrl follows the page's scheme", () => {
  assert.equal(streamUrl({ protocol: "https:", host: "w.example" }, 3), "wss://w.example/ws/runs/3/");
  assert.equal(streamUrl({ protocol: "http:", host: "127.0.0.1:8000" }, 3), "ws://127.0.0.1:8000/ws/runs/3/");
});
