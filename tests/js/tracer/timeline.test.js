import { test } from "node:test";
import assert from "node:assert/strict";

import { geometry, hops, isWait, ticks, waterfall, waterfallNow } from "../../../static/tracer/timeline.js";
import { allSegments, fixture } from "./helpers.js";

function traceOf(name, predicate) {
  const byTrace = new Map();
  for (const segment of allSegments(name)) {
    if (!byTrace.has(segment.trace_id)) byTrace.set(segment.trace_id, []);
    byTrace.get(segment.trace_id).push(segment);
  }
  for (const segments of byTrace.values()) if (predicate(segments)) return segments;
  throw new Error(`no such trace in ${name}`);
}

const deadLettered = () => traceOf("sqs-lambda-dlq", (s) => s.some((x) => x.annotations?.outcome === "dead_lettered"));

test("a dead-lettered message: five stays in the queue, five failed receives, then the DLQ", () => {
  const layout = waterfall(deadLettered());
  const summary = layout.rows.map((row) => [row.kind, row.name, row.depth, row.attempt, row.status]);
  assert.deepEqual(summary, [
    ["wait", "Orders", 0, "receive 1", "ok"],
    ["hop", "Processor", 1, "receive 1", "fault"],
    ["init", "Initialization", 2, "", "ok"],
    ["flight", "Orders", 0, "", "ok"],
    ["wait", "Orders", 0, "receive 2", "ok"],
    ["hop", "Processor", 1, "receive 2", "fault"],
    ["flight", "Orders", 0, "", "ok"],
    ["wait", "Orders", 0, "receive 3", "ok"],
    ["hop", "Processor", 1, "receive 3", "fault"],
    ["flight", "Orders", 0, "", "ok"],
    ["wait", "Orders", 0, "receive 4", "ok"],
    ["hop", "Processor", 1, "receive 4", "fault"],
    ["flight", "Orders", 0, "", "ok"],
    ["wait", "Orders", 0, "receive 5", "ok"],
    ["hop", "Processor", 1, "receive 5", "fault"],
    ["flight", "Orders", 0, "", "ok"],
    ["wait", "Orders", 0, "receive 5", "ok"],
    ["wait", "OrdersDLQ", 1, "", "ok"],
  ]);
  const last = layout.rows.at(-1);
  assert.equal(last.open, true);
  assert.equal(last.label, "OrdersDLQ · from Orders, still there at the end");
  assert.equal(last.endMs, layout.durationMs);
  assert.equal(layout.rows.at(-2).label, "Orders · visible again, to OrdersDLQ (maxReceiveCount 5)");
  assert.equal(layout.rows[0].label, "Orders · sent, received");
  assert.equal(layout.rows[2].label, "cold start");
  // Each flight lasts the queue's visibility timeout, from a receive to the next stay.
  const flights = layout.rows.filter((row) => row.kind === "flight");
  for (const flight of flights) assert.equal(Math.round(flight.endMs - flight.startMs), 30_000);
  assert.equal(flights[0].label, "Orders · in flight (VisibilityTimeout 30 s)");
  // Offsets are from the trace's start; every row within it, in time order per level.
  assert.equal(layout.rows[0].startMs, 0);
  for (const row of layout.rows) assert.ok(row.startMs >= 0 && row.endMs >= row.startMs && row.endMs <= layout.durationMs + 1e-6);
  // The cause of the failure is on the row's document.
  assert.equal(layout.rows[1].item.cause.exceptions[0].type, "PoisonMessage");
});

test("a webhook request: client, API, queue wait, function, calls as subsegments", () => {
  const segments = traceOf("scalable-webhook-naive", (s) => s.length >= 3 && !s.some((x) => x.fault));
  const layout = waterfall(segments);
  const names = layout.rows.map((row) => `${"  ".repeat(row.depth)}${row.kind}:${row.label}`);
  assert.equal(layout.rows[0].name, "Partner");
  assert.equal(layout.rows[0].depth, 0);
  assert.ok(names.some((line) => line.includes("call:Webhook")), names.join("\n"));
  const api = layout.rows.find((row) => row.kind === "hop" && row.name === "Webhook");
  assert.equal(api.depth, 2); // under the client's call to it
});

test("a throttled request shows its status on the client and the API", () => {
  const segments = traceOf("simple-web-service", (s) => s.some((x) => x.throttle));
  const layout = waterfall(segments);
  assert.ok(layout.rows.filter((row) => row.kind === "hop").every((row) => row.status === "throttle"));
});

test("async retries of a function are siblings under the caller's call, with attempts", () => {
  const segments = traceOf("lambda-destinations", (s) => s.filter((x) => x.origin === "AWS::Lambda::Function").length >= 2);
  const layout = waterfall(segments);
  const attempts = layout.rows.filter((row) => row.kind === "hop" && row.origin === "AWS::Lambda::Function");
  assert.ok(attempts.length >= 2);
  assert.equal(new Set(attempts.map((row) => row.depth)).size, 1);
  assert.deepEqual(attempts.map((row) => row.attempt), attempts.map((_, i) => `attempt ${i + 1}`));
});

test("segments whose parent has not arrived yet are shown as roots; open rows end at `now`", () => {
  const segments = deadLettered().slice(3); // the first stays are not here yet
  const layout = waterfall(segments, { now: 1000 });
  assert.ok(layout.rows.length >= segments.length);
  assert.equal(layout.rows[0].depth, 0);
  assert.equal(layout.end, 1000);
  assert.deepEqual(waterfall([]).rows, []);
});

test("hops: the path a message took between components", () => {
  const components = new Set(fixture("sqs-lambda-dlq").topology.components.map((c) => c.id));
  const path = hops(deadLettered(), components);
  const pairs = [...new Set(path.map((hop) => `${hop.source}>${hop.target}`))];
  assert.deepEqual(pairs, ["Orders>Processor", "Orders>OrdersDLQ"]);
  assert.equal(path.filter((hop) => hop.status === "fault").length, 5);
  const web = traceOf("scalable-webhook-naive", (s) => s.length >= 3 && !s.some((x) => x.fault));
  // The database query answers inside the function's segment: still a hop to Orders.
  assert.deepEqual(hops(web).map((hop) => `${hop.source}>${hop.target}`), ["Partner>Webhook", "Webhook>Writer", "Writer>Orders"]);
  const destinations = traceOf("lambda-destinations", (s) => s.some((x) => x.annotations?.outcome === "on_success"));
  assert.ok(hops(destinations).some((hop) => hop.source === "Thumbnailer" && hop.target === "Done"));
  assert.ok(hops(destinations).some((hop) => hop.source === "Uploader" && hop.target === "Thumbnailer"));
});

test("queue stays are waits", () => {
  const [stay] = deadLettered();
  assert.equal(isWait(stay), true);
  assert.equal(isWait({ origin: "AWS::Lambda::Function" }), false);
});

test("ticks are round numbers covering the duration", () => {
  assert.deepEqual(ticks(1000, 5), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(ticks(7, 4), [0, 2, 4, 6]);
  assert.deepEqual(ticks(0), [0]);
  const long = ticks(158_000, 6);
  assert.equal(long[1], 50_000);
});

test("geometry: bars inside the area, at least minWidth wide, one row height apart", () => {
  const layout = waterfall(deadLettered());
  const bars = geometry(layout, { width: 600, rowHeight: 22 });
  assert.equal(bars.length, layout.rows.length);
  for (const [i, bar] of bars.entries()) {
    assert.ok(bar.x >= 0 && bar.x + bar.w <= 600 + 1e-9);
    assert.ok(bar.w >= 2);
    assert.equal(bar.y, i * 22);
  }
  assert.equal(bars.at(-1).x + bars.at(-1).w, 600);
});

test("a finished trace's waterfall ends at its own last segment while the run goes on", () => {
  assert.equal(waterfallNow(true, "in_flight", 26), 26);
  assert.equal(waterfallNow(true, undefined, 26), 26);
  assert.equal(waterfallNow(true, "failed", 26), null);
  assert.equal(waterfallNow(true, "completed", 26), null);
  assert.equal(waterfallNow(false, "in_flight", 26), null);
});
