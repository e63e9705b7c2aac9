import { test } from "node:test";
import assert from "node:assert/strict";

import { MetricSeries } from "../../../static/tracer/metrics.js";
import { fixture } from "./helpers.js";

function seriesOf(name) {
  const data = fixture(name);
  const series = new MetricSeries(data.topology);
  for (const sample of data.samples) series.add(sample);
  return series;
}

test("charts: throughput, latency, queue depth and age, concurrency, errors; columns line up", () => {
  const series = seriesOf("sqs-lambda-dlq");
  const charts = series.charts();
  assert.deepEqual(charts.map((c) => c.id), ["throughput", "latency", "depth", "age", "concurrency", "errors"]);
  for (const chart of charts) {
    assert.equal(chart.data.length, chart.labels.length + 1, chart.id);
    for (const column of chart.data) assert.equal(column.length, series.t.length, chart.id);
  }
  const depth = charts.find((c) => c.id === "depth");
  assert.deepEqual(depth.labels.sort(), ["Orders", "OrdersDLQ"]);
  const throughput = charts.find((c) => c.id === "throughput");
  assert.ok(throughput.data[1].slice(0, 5).some((v) => v > 0), "messages are accepted in the first seconds");
});

test("badges: queue depth, running functions, errors, and the DLQ's size", () => {
  const data = fixture("sqs-lambda-dlq");
  const series = new MetricSeries(data.topology);
  // The run ends as the message reaches the DLQ (no sample after): the last one, with it there.
  const last = structuredClone(data.samples.at(-1));
  last.components.OrdersDLQ.gauges.visible = 1;
  series.add(last);
  const dlq = series.badges().find((b) => b.id === "OrdersDLQ");
  assert.deepEqual(dlq.items, [{ key: "dlq", label: "in DLQ", value: 1, tone: "fault" }]);
  // Early on, while messages arrive, the queue and the function are busy.
  const early = new MetricSeries(fixture("sqs-lambda-dlq").topology);
  for (const sample of fixture("sqs-lambda-dlq").samples.slice(0, 6)) early.add(sample);
  const badges = Object.fromEntries(early.badges().map((b) => [b.id, Object.fromEntries(b.items.map((i) => [i.key, i.value]))]));
  assert.ok(badges.Orders.in_flight > 0);
  assert.ok(badges.Processor.concurrency > 0);
  assert.equal(new MetricSeries(null).badges().length, 0);
});

test("throttles show as a badge of their own", () => {
  const series = seriesOf("simple-web-service");
  const throttled = series.samples.some((sample) => Object.values(sample.components).some((c) => c.throttles_per_s > 0));
  assert.ok(throttled);
  const all = new MetricSeries(fixture("simple-web-service").topology);
  let seen = false;
  for (const sample of fixture("simple-web-service").samples) {
    all.add(sample);
    seen ||= all.badges().some((b) => b.items.some((i) => i.key === "throttles" && i.tone === "throttle"));
  }
  assert.ok(seen);
});
