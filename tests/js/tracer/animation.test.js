import { test } from "node:test";
import assert from "node:assert/strict";

import { TokenField, TokenSampler, pointAlong } from "../../../static/tracer/animation.js";
import { HopResolver } from "../../../static/tracer/servicemap.js";
import { fixture } from "./helpers.js";

function seeded(seed = 1) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

const hop = (source, target, status = "ok", traceId = "t") => ({ traceId, source, target, status, start: 0, end: 0.1 });

test("a frame never takes more than its budget, and every failure is shown", () => {
  const resolver = new HopResolver();
  const sampler = new TokenSampler({ budgetPerFrame: 10, random: seeded() });
  let failuresOffered = 0;
  let failuresShown = 0;
  for (const name of ["sqs-lambda-dlq", "simple-web-service", "scalable-webhook-naive"]) {
    for (const batch of fixture(name).batches) {
      const found = resolver.add(batch);
      failuresOffered += found.filter((h) => h.status !== "ok").length;
      sampler.offer(found);
      const frame = sampler.take();
      assert.ok(frame.length <= 10);
      failuresShown += frame.filter((t) => t.status !== "ok").length;
    }
  }
  while (sampler.waitingFailures) failuresShown += sampler.take().filter((t) => t.status !== "ok").length;
  assert.ok(failuresOffered > 40);
  assert.equal(failuresShown, failuresOffered);
});

test("thousands of successful hops a frame: sampled, shared fairly between connections", () => {
  const sampler = new TokenSampler({ budgetPerFrame: 40, random: seeded(7) });
  const hops = [];
  for (let i = 0; i < 5000; i += 1) hops.push(hop("Api", "Queue"));
  for (let i = 0; i < 3; i += 1) hops.push(hop("Queue", "Worker"));
  sampler.offer(hops);
  const frame = sampler.take();
  assert.equal(frame.length, 40);
  assert.equal(frame.filter((t) => t.target === "Worker").length, 3, "the quiet connection shows all it had");
  const busy = frame.filter((t) => t.target === "Queue");
  assert.equal(busy.length, 37);
  assert.equal(busy[0].weight, 5000 / 40);
  assert.equal(sampler.stats.sampledAway, 5000 - 37);
  assert.deepEqual(sampler.take(), [], "nothing left over: the next frame shows newer hops");
});

test("a flood of failures is spread over frames, then folded past the backlog, never dropped", () => {
  const sampler = new TokenSampler({ budgetPerFrame: 8, failureShare: 0.5, maxBacklog: 100 });
  const failures = [];
  for (let i = 0; i < 300; i += 1) failures.push(hop("Api", "Fn", i % 2 ? "fault" : "throttle", `t${i}`));
  sampler.offer(failures);
  sampler.offer([hop("Api", "Fn")]);
  const first = sampler.take();
  assert.equal(first.filter((t) => t.status !== "ok").length, 4);
  assert.equal(first.filter((t) => t.status === "ok").length, 1, "successes still get the rest of the budget");
  let weight = first.filter((t) => t.status !== "ok").reduce((sum, t) => sum + t.weight, 0);
  while (sampler.waitingFailures) weight += sampler.take().reduce((sum, t) => sum + t.weight, 0);
  assert.equal(weight, 300);
  assert.equal(sampler.stats.folded, 200);
});

test("the field moves tokens from 0 to 1 and drops them at the end; failures outlive the cap", () => {
  const field = new TokenField({ durationMs: 1000, maxActive: 5 });
  field.add([hop("A", "B", "fault"), ...Array.from({ length: 6 }, () => hop("A", "B"))], 0);
  assert.equal(field.size, 5);
  assert.ok(field.active.some((t) => t.status === "fault"));
  const early = field.positions(0);
  assert.equal(early[0].progress, 0);
  const middle = field.positions(500);
  assert.ok(middle.every(({ progress }) => progress > 0 && progress < 1));
  assert.deepEqual(field.positions(2000), []);
  assert.equal(field.size, 0);
});

test("a full field lets the tokens on their way arrive: new successes wait, failures get in", () => {
  const field = new TokenField({ durationMs: 1000, maxActive: 4 });
  field.add(Array.from({ length: 4 }, () => hop("A", "B")), 0);
  field.add(Array.from({ length: 10 }, () => hop("B", "C")), 500); // full: not started
  assert.deepEqual(field.active.map((t) => t.target), ["B", "B", "B", "B"]);
  field.add([hop("B", "C", "throttle")], 600);
  assert.equal(field.size, 4);
  assert.ok(field.active.some((t) => t.status === "throttle"));
  const arriving = field.positions(990).filter(({ token }) => token.target === "B");
  assert.ok(arriving.length === 3 && arriving.every(({ progress }) => progress > 0.9), "the first ones reach the end");
});

test("one connection holds at most maxPerEdge tokens; the others keep their room", () => {
  const field = new TokenField({ durationMs: 1000, maxActive: 100, maxPerEdge: 3 });
  field.add([...Array.from({ length: 5 }, () => hop("A", "B")), hop("B", "C"), hop("A", "B", "fault")], 0);
  const onAB = field.active.filter((t) => t.target === "B");
  assert.equal(onAB.length, 3);
  assert.ok(onAB.some((t) => t.status === "fault"), "a failure takes a success's place");
  assert.equal(field.active.filter((t) => t.target === "C").length, 1);
  field.positions(2000); // all arrived: the connection has room again
  field.add([hop("A", "B"), hop("A", "B")], 2000);
  assert.equal(field.size, 2);
});

test("a failure on a full connection takes the place of a success on it, not one elsewhere", () => {
  const field = new TokenField({ durationMs: 1000, maxActive: 100, maxPerEdge: 2 });
  field.add([hop("B", "C")], 0); // the oldest token of all, on another connection
  field.add([hop("A", "B"), hop("A", "B"), hop("A", "B", "fault")], 10);
  assert.equal(field.active.filter((t) => t.target === "C").length, 1);
  assert.deepEqual(field.active.filter((t) => t.target === "B").map((t) => t.status), ["ok", "fault"]);
});

test("points along straight and curved edges", () => {
  assert.deepEqual(pointAlong({ x: 0, y: 0 }, { x: 10, y: 20 }, 0.5), { x: 5, y: 10 });
  assert.deepEqual(pointAlong({ x: 0, y: 0 }, { x: 10, y: 0 }, 0.5, { x: 5, y: 10 }), { x: 5, y: 5 });
});
