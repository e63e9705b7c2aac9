// How the run view's DOM-free modules hold up at 100,000 traces (not a test: prints timings).
//   node tests/js/tracer/bench-traces.mjs [traces]
// Traces are copies of the real ones in fixtures/sqs-lambda-dlq.json under new trace ids, fed in
// batches of 500 segments as run.segments messages would bring them.
import { performance } from "node:perf_hooks";

import { TraceIndex } from "../../../static/tracer/traces.js";
import { ServiceMap } from "../../../static/tracer/servicemap.js";
import { TokenSampler } from "../../../static/tracer/animation.js";
import { allSegments } from "./helpers.js";

const wanted = Number(process.argv[2] || 100_000);
const source = allSegments("sqs-lambda-dlq");
const byTrace = new Map();
for (const segment of source) {
  if (!byTrace.has(segment.trace_id)) byTrace.set(segment.trace_id, []);
  byTrace.get(segment.trace_id).push(segment);
}
const templates = [...byTrace.values()];
const segments = [];
for (let i = 0; i < wanted; i += 1) {
  const template = templates[i % templates.length];
  const traceId = `1-6955b900-${i.toString(16).padStart(24, "0")}`;
  const shift = Math.floor(i / templates.length) * 6;
  for (const segment of template) {
    segments.push({ ...segment, trace_id: traceId, start_time: segment.start_time + shift, end_time: segment.end_time === undefined ? undefined : segment.end_time + shift });
  }
}
const batches = [];
for (let i = 0; i < segments.length; i += 500) batches.push(segments.slice(i, i + 500));

function time(label, fn, repeat = 1) {
  const times = [];
  let result;
  for (let i = 0; i < repeat; i += 1) {
    const started = performance.now();
    result = fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} ${times[Math.floor(times.length / 2)].toFixed(1).padStart(8)} ms${repeat > 1 ? ` (median of ${repeat})` : ""}`);
  return result;
}

console.log(`${wanted.toLocaleString("en")} traces, ${segments.length.toLocaleString("en")} segments in ${batches.length} batches`);
const heapBefore = process.memoryUsage().heapUsed;
const index = new TraceIndex();
time("TraceIndex.add, every batch", () => { for (const batch of batches) index.add(batch); });
index.finishRun();
const perBatch = time("TraceIndex.add, one more batch of 500 segments", () => index.add(batches[0].map((s) => ({ ...s, trace_id: s.trace_id + "x" }))), 5);
void perBatch;
console.log(`heap after indexing: ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(0)} MB (segments kept for ${index.segments.size} traces)`);
time("filter: everything, sorted by start", () => index.filter({}), 5);
time("filter: dead_lettered", () => index.filter({ outcomes: ["dead_lettered"] }), 5);
time("filter: component Processor, 1-2 s", () => index.filter({ component: "Processor", minMs: 1000, maxMs: 2000 }), 5);
time("filter: everything, sorted by duration", () => index.filter({ sort: "duration" }), 5);
const map = new ServiceMap();
time("ServiceMap.add, every batch", () => { for (const batch of batches) map.add(batch); });
time("ServiceMap.graph()", () => map.graph(), 5);
const sampler = new TokenSampler({ budgetPerFrame: 60 });
time("TokenSampler.offer, every batch (+ one frame each)", () => {
  for (const batch of batches) { sampler.offer(batch); sampler.take(); }
});
