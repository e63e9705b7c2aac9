import { test } from "node:test";
import assert from "node:assert/strict";

import { EPOCH, countUpTo, messageTime } from "../../../static/tracer/scrub.js";

const segment = (start, end) => ({ start_time: EPOCH + start, ...(end === undefined ? {} : { end_time: EPOCH + end }) });

test("a metrics sample belongs at its t and a status at its virtual seconds", () => {
  assert.equal(messageTime({ type: "run.metrics", sample: { t: 4 } }), 4);
  assert.equal(messageTime({ type: "run.status", virtual_seconds: 2.5 }), 2.5);
});

test("a batch of segments belongs at the latest end among them, an open one at its start", () => {
  assert.equal(messageTime({ type: "run.segments", segments: [segment(1, 1.5), segment(0.2, 3), segment(3.5)] }), 3.5);
});

test("trace outcomes and the end of the run have no time of their own", () => {
  assert.equal(messageTime({ type: "run.traces", traces: [] }), null);
  assert.equal(messageTime({ type: "run.finished", status: "finished" }), null);
});

test("the run at a time is every message up to the first one past it, untimed ones with the one before", () => {
  const history = [
    { type: "run.status", virtual_seconds: 0 },
    { type: "run.segments", segments: [segment(0.1, 0.4)] },
    { type: "run.traces", traces: [] },
    { type: "run.metrics", sample: { t: 1 } },
    { type: "run.segments", segments: [segment(1.2, 1.6)] },
    { type: "run.traces", traces: [] },
    { type: "run.metrics", sample: { t: 2 } },
    { type: "run.finished", status: "finished" },
  ];
  assert.equal(countUpTo(history, 0.5), 3);
  assert.equal(countUpTo(history, 1), 4);
  assert.equal(countUpTo(history, 1.6), 6);
  assert.equal(countUpTo(history, 99), 8);
  assert.equal(countUpTo(history, -1), 0);
});

test("a message earlier than one before it counts at the later time", () => {
  const history = [
    { type: "run.metrics", sample: { t: 3 } },
    { type: "run.segments", segments: [segment(1, 2)] },
  ];
  assert.equal(countUpTo(history, 2.5), 0);
  assert.equal(countUpTo(history, 3), 2);
});
