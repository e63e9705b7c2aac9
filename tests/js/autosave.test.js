import { test } from "node:test";
import assert from "node:assert/strict";

import { Autosaver } from "../../static/designer/autosave.js";

// Timers under the test's control: `tick()` runs every pending callback.
function fakeTimers() {
  const pending = new Map();
  let next = 1;
  return {
    setTimeout(callback, delay) {
      pending.set(next, { callback, delay });
      return next++;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    delays: () => [...pending.values()].map((t) => t.delay),
    tick() {
      const callbacks = [...pending.values()];
      pending.clear();
      for (const { callback } of callbacks) callback();
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function saver(save) {
  const timers = fakeTimers();
  const states = [];
  const autosaver = new Autosaver({ save, timers, onState: (state) => states.push(state) });
  return { autosaver, timers, states };
}

test("a change is saved once nothing changed for the delay", async () => {
  const saved = [];
  const { autosaver, timers, states } = saver(async (revision) => { saved.push(revision); return { status: "saved" }; });
  autosaver.changed(1);
  autosaver.changed(2);
  assert.deepEqual(timers.delays(), [800]);
  assert.equal(autosaver.state, "unsaved");
  assert.equal(autosaver.hasUnsavedChanges, true);
  timers.tick();
  await settle();
  assert.deepEqual(saved, [2]);
  assert.equal(autosaver.state, "saved");
  assert.equal(autosaver.hasUnsavedChanges, false);
  assert.deepEqual(states, ["unsaved", "unsaved", "saving", "saved"]);
});

test("a change during a save is saved right after it", async () => {
  let finish;
  const saved = [];
  const { autosaver, timers } = saver((revision) => {
    saved.push(revision);
    return new Promise((resolve) => { finish = () => resolve({ status: "saved" }); });
  });
  autosaver.changed(1);
  timers.tick();
  assert.equal(autosaver.state, "saving");
  autosaver.changed(2);
  timers.tick(); // the quiet period ends while the first save is in flight: it waits
  assert.deepEqual(saved, [1]);
  finish();
  await settle();
  assert.equal(autosaver.state, "unsaved");
  timers.tick();
  finish();
  await settle();
  assert.deepEqual(saved, [1, 2]);
  assert.equal(autosaver.state, "saved");
});

test("a conflict stops autosaving until it is resolved", async () => {
  let calls = 0;
  const { autosaver, timers } = saver(async () => { calls += 1; return { status: "conflict", message: "stale" }; });
  autosaver.changed(1);
  timers.tick();
  await settle();
  assert.equal(autosaver.state, "conflict");
  autosaver.changed(2);
  timers.tick();
  await settle();
  assert.equal(calls, 1);
  assert.equal(autosaver.state, "conflict");
  autosaver.resolved(2);
  assert.equal(autosaver.state, "saved");
  assert.equal(autosaver.hasUnsavedChanges, false);
});

test("an error is shown and the save retried later", async () => {
  let fail = true;
  const { autosaver, timers } = saver(async () => {
    if (fail) throw new Error("offline");
    return { status: "saved" };
  });
  autosaver.changed(1);
  timers.tick();
  await settle();
  assert.equal(autosaver.state, "error");
  assert.equal(autosaver.message, "offline");
  assert.deepEqual(timers.delays(), [5000]);
  fail = false;
  timers.tick();
  await settle();
  assert.equal(autosaver.state, "saved");
});

test("flush saves at once and waits for it", async () => {
  const saved = [];
  const { autosaver, timers } = saver(async (revision) => { saved.push(revision); return { status: "saved" }; });
  autosaver.changed(4);
  await autosaver.flush();
  assert.deepEqual(saved, [4]);
  assert.deepEqual(timers.delays(), []);
  await autosaver.flush();
  assert.deepEqual(saved, [4]);
});
