import { test } from "node:test";
import assert from "node:assert/strict";

import { TraceIndex, formatDuration, fromApiRow, outcomeOf } from "../../../static/tracer/traces.js";
import { allSegments, fixture } from "./helpers.js";

const EXAMPLES = ["sqs-lambda-dlq", "simple-web-service", "scalable-webhook-naive", "lambda-destinations"];

function indexOf(name, options) {
  const index = new TraceIndex(options);
  for (const batch of fixture(name).batches) index.add(batch);
  return index;
}

// What the backend's storage.outcome_of says for the ledger's record (the fixture's "finished").
function ledgerOutcome(trace, finished) {
  return outcomeOf({ ...trace, settled: finished }, true);
}

test("one trace per message, with entry, times, components and message id", () => {
  const index = indexOf("sqs-lambda-dlq");
  const data = fixture("sqs-lambda-dlq");
  assert.equal(index.size, Object.keys(data.finished).length);
  const trace = index.get(Object.keys(data.finished)[0]);
  assert.equal(trace.entry, "Orders");
  assert.match(trace.messageId, /^msg-\d+$/);
  assert.ok(trace.start >= 0 && trace.end >= trace.start);
  assert.deepEqual([...trace.components].sort(), ["Orders", "Processor"]);
  assert.equal(trace.durationMs, (trace.end - trace.start) * 1000);
});

test("from segments alone, failures show at once and the rest completes when the run ends", () => {
  for (const name of EXAMPLES) {
    const index = indexOf(name);
    const { finished } = fixture(name);
    const live = index.filter({});
    // While the run goes on, nothing is called completed before the ledger says so.
    assert.ok(live.every((trace) => trace.outcome !== "completed"), name);
    index.finishRun();
    for (const [traceId, outcome] of Object.entries(finished)) {
      const trace = index.get(traceId);
      assert.equal(trace.outcome, ledgerOutcome(trace, outcome), `${name} ${traceId}`);
    }
  }
});

test("the dead-lettered message: five receives, faults, entry the queue", () => {
  const index = indexOf("sqs-lambda-dlq");
  const [dead] = index.filter({ outcomes: ["dead_lettered"] });
  assert.ok(dead);
  assert.equal(dead.maxAttempt, 5);
  assert.equal(dead.faults, 5);
  assert.ok(dead.components.includes("OrdersDLQ"));
  assert.equal(dead.open, 1); // waiting in the DLQ when the run ended
  assert.ok(dead.durationMs > 150_000);
});

test("throttled and failed requests at the entry are told apart", () => {
  const web = indexOf("simple-web-service");
  assert.equal(web.counts.throttled, 40);
  const naive = indexOf("scalable-webhook-naive");
  assert.equal(naive.counts.failed, 40);
  const [failed] = naive.filter({ outcomes: new Set(["failed"]) });
  assert.equal(failed.entry, "Partner");
  assert.ok(failed.faults >= 1);
});

test("the ledger's word (run.traces) settles outcomes and durations", () => {
  const index = indexOf("sqs-lambda-dlq");
  const { finished } = fixture("sqs-lambda-dlq");
  const items = Object.entries(finished).map(([trace_id, outcome]) => ({ trace_id, outcome, duration_ms: 42 }));
  index.settle(items);
  assert.equal(index.counts.completed, 131);
  assert.equal(index.counts.dead_lettered, 1);
  assert.equal(index.counts.in_flight, 0);
  assert.equal(index.get(items[0].trace_id).durationMs, 42);
  // A rejected message is shown by why it was rejected.
  assert.equal(outcomeOf({ settled: "rejected", throttles: 1, faults: 0 }), "throttled");
  assert.equal(outcomeOf({ settled: "rejected", throttles: 0, faults: 2 }), "failed");
  assert.equal(outcomeOf({ settled: "rejected", throttles: 0, faults: 0 }), "rejected");
});

test("counts always add up to the number of traces", () => {
  const index = new TraceIndex();
  for (const batch of fixture("lambda-destinations").batches) {
    index.add(batch);
    const total = Object.values(index.counts).reduce((a, b) => a + b, 0);
    assert.equal(total, index.size);
  }
  index.finishRun();
  assert.equal(Object.values(index.counts).reduce((a, b) => a + b, 0), index.size);
  assert.equal(index.counts.dead_lettered, 3);
  assert.equal(index.counts.completed, 50);
});

test("filters: outcome, component, duration bounds, text; sorted by start or duration", () => {
  const index = indexOf("lambda-destinations");
  index.finishRun();
  const all = index.filter({});
  assert.equal(all.length, index.size);
  for (let i = 1; i < all.length; i += 1) assert.ok(all[i - 1].start <= all[i].start);
  const slow = index.filter({ minMs: 1000, sort: "duration" });
  assert.ok(slow.length > 0 && slow.every((t) => t.durationMs >= 1000));
  for (let i = 1; i < slow.length; i += 1) assert.ok(slow[i - 1].durationMs >= slow[i].durationMs);
  const fast = index.filter({ maxMs: 1000 });
  assert.equal(fast.length + slow.length - index.filter({ minMs: 1000, maxMs: 1000 }).length, index.size);
  const failures = index.filter({ component: "Failed" });
  assert.ok(failures.length > 0 && failures.every((t) => t.components.includes("Failed")));
  assert.deepEqual(index.filter({ text: all[3].messageId }).map((t) => t.id), [all[3].id]);
  assert.ok(index.components().includes("Thumbnailer"));
});

test("segment documents are kept for a bounded number of traces, failures kept longest", () => {
  const index = indexOf("sqs-lambda-dlq", { keepSegments: 20 });
  index.finishRun();
  index.trim();
  assert.ok(index.segments.size <= 25);
  const [dead] = index.filter({ outcomes: ["dead_lettered"] });
  assert.ok(index.segmentsOf(dead.id), "the dead-lettered trace keeps its segments");
  const kept = allSegments("sqs-lambda-dlq").filter((s) => s.trace_id === dead.id);
  assert.equal(index.segmentsOf(dead.id).length, kept.length);
  assert.equal(index.segmentsOf("1-00000000-000000000000000000000000"), null);
});

test("API rows become index rows", () => {
  const trace = fromApiRow({ trace_id: "1-a-b", message_id: "msg-1", outcome: "dead_lettered", entry: "Orders",
    start_s: 1.5, end_s: 160, duration_ms: 158500, components: " Orders OrdersDLQ Processor ", has_fault: true, segment_count: 11 });
  assert.deepEqual(trace.components, ["Orders", "OrdersDLQ", "Processor"]);
  assert.equal(trace.outcome, "dead_lettered");
  assert.equal(trace.faults, 1);
});

test("durations read well", () => {
  assert.equal(formatDuration(0.42), "0.42 ms");
  assert.equal(formatDuration(850.2), "850 ms");
  assert.equal(formatDuration(3210), "3.21 s");
  assert.equal(formatDuration(45_500), "45.5 s");
  assert.equal(formatDuration(125_000), "2 min 5 s");
});
