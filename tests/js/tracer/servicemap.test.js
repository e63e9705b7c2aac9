import { test } from "node:test";
import assert from "node:assert/strict";

import { BUCKETS_MS, COLOURS, HopResolver, ServiceMap, bucketOf, health, histogramBars, percentileOf, serviceGraph } from "../../../static/tracer/servicemap.js";
import { hops } from "../../../static/tracer/timeline.js";
import { allSegments, fixture } from "./helpers.js";

function mapOf(name) {
  const components = new Set(fixture(name).topology.components.map((c) => c.id));
  const map = new ServiceMap({ components });
  for (const batch of fixture(name).batches) map.add(batch);
  return map.graph();
}

const byId = (items) => Object.fromEntries(items.map((item) => [item.id, item]));

test("nodes and edges of the SQS -> Lambda -> DLQ example, with counts and colours", () => {
  const { nodes, edges } = mapOf("sqs-lambda-dlq");
  const node = byId(nodes);
  assert.deepEqual(Object.keys(node).sort(), ["Orders", "OrdersDLQ", "Processor"]);
  assert.equal(node.Processor.faults, 5); // the poison message's five receives
  assert.equal(node.Processor.count, 136);
  assert.equal(node.OrdersDLQ.open, 1); // still waiting when the run ended
  assert.equal(node.Processor.status, "fault");
  assert.equal(node.Processor.colour, COLOURS.fault);
  assert.equal(node.Orders.status, "ok");
  const edge = byId(edges);
  assert.deepEqual(Object.keys(edge).sort(), ["Orders>OrdersDLQ", "Orders>Processor"]);
  assert.equal(edge["Orders>Processor"].count, 136);
  assert.equal(edge["Orders>Processor"].faults, 5);
  assert.equal(edge["Orders>OrdersDLQ"].count, 1);
  assert.ok(node.Processor.p50Ms > 0 && node.Processor.p99Ms >= node.Processor.p50Ms);
});

test("throttles are purple, 5xx red, on the nodes and on the calls", () => {
  const web = mapOf("simple-web-service");
  const api = web.nodes.find((n) => n.origin === "AWS::ApiGateway::Stage");
  assert.equal(api.status, "throttle");
  assert.equal(api.colour, COLOURS.throttle);
  assert.ok(web.edges.some((e) => e.target === api.id && e.throttles === 40));
  const naive = mapOf("scalable-webhook-naive");
  assert.ok(naive.nodes.some((n) => n.status === "fault"));
  assert.ok(naive.edges.some((e) => e.target === "Orders" && e.faults > 0), "the database refused connections");
});

test("the resolver finds the same hops batch by batch as over the whole trace", () => {
  for (const name of ["sqs-lambda-dlq", "lambda-destinations", "scalable-webhook-naive"]) {
    const resolver = new HopResolver();
    const streamed = fixture(name).batches.flatMap((batch) => resolver.add(batch));
    const whole = hops(allSegments(name));
    const key = (hop) => `${hop.traceId} ${hop.source}>${hop.target} ${hop.start}`;
    assert.deepEqual(streamed.map(key).sort(), whole.map(key).sort(), name);
  }
});

test("the resolver forgets old segment ids past its memory", () => {
  const resolver = new HopResolver({ remember: 100 });
  for (const batch of fixture("lambda-destinations").batches) resolver.add(batch);
  assert.ok(resolver.owner.size <= 100 && resolver.calls.size <= 100 && resolver.waiting.size <= 25);
});

test("histogram maths", () => {
  assert.equal(bucketOf(0.5), 0);
  assert.equal(bucketOf(1), 0);
  assert.equal(bucketOf(1.01), 1);
  assert.equal(bucketOf(1e9), BUCKETS_MS.length - 1);
  const histogram = new Array(BUCKETS_MS.length).fill(0);
  histogram[bucketOf(80)] = 90;
  histogram[bucketOf(1500)] = 10;
  assert.equal(percentileOf(histogram, 50), 100);
  assert.equal(percentileOf(histogram, 95), 2000);
  assert.equal(percentileOf(new Array(3).fill(0), 50), null);
  const bars = histogramBars(histogram);
  assert.equal(bars[0].label, "≤100 ms");
  assert.equal(bars.at(-1).label, "≤2 s");
  assert.equal(bars[0].share, 1);
  assert.deepEqual(health({ count: 200, errors: 0, faults: 0, throttles: 1 }).status, "ok");
  assert.deepEqual(health({ count: 100, errors: 3, faults: 0, throttles: 0 }).status, "error");
  assert.equal(health({ count: 0, errors: 0, faults: 0, throttles: 0 }).ratios.ok, 1);
});

test("a database reached only through its callers' subsegments is an inferred node, with the calls' numbers", () => {
  const { nodes, edges } = mapOf("scalable-webhook-naive");
  const node = byId(nodes);
  assert.equal(node.Orders.inferred, true);
  assert.equal(node.Writer.inferred, false);
  const calls = byId(edges)["Writer>Orders"];
  assert.ok(calls.count > 0);
  assert.equal(node.Orders.count, calls.count);
  assert.equal(node.Orders.faults, calls.faults);
  assert.ok(node.Orders.faults > 0, "the database refused connections");
  assert.equal(node.Orders.status, "fault");
});

test("every edge joins two nodes of the graph", () => {
  for (const name of ["sqs-lambda-dlq", "simple-web-service", "scalable-webhook-naive", "lambda-destinations"]) {
    const { nodes, edges } = mapOf(name);
    const ids = new Set(nodes.map((n) => n.id));
    for (const edge of edges) assert.ok(ids.has(edge.source) && ids.has(edge.target), `${name}: ${edge.id}`);
  }
});

/** The same segments, one a batch, in an order drawn from a fixed seed. */
function shuffled(segments, seed) {
  const order = segments.slice();
  let state = seed;
  for (let i = order.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((segment) => [segment]);
}

test("the graph is the same whatever order the segments arrive in", () => {
  const counts = ({ nodes, edges }) => ({
    nodes: Object.fromEntries(nodes.map((n) => [n.id, [n.count, n.faults, n.throttles, n.errors, n.open, n.inferred]])),
    edges: Object.fromEntries(edges.map((e) => [e.id, [e.count, e.faults, e.throttles, e.errors]])),
  });
  for (const name of ["sqs-lambda-dlq", "scalable-webhook-naive", "lambda-destinations", "simple-web-service"]) {
    const components = new Set(fixture(name).topology.components.map((c) => c.id));
    const inOrder = serviceGraph(fixture(name).batches, { components });
    const reversed = serviceGraph(allSegments(name).slice().reverse().map((s) => [s]), { components });
    const mixed = serviceGraph(shuffled(allSegments(name), 7), { components });
    assert.deepEqual(counts(reversed), counts(inOrder), `${name}, reversed`);
    assert.deepEqual(counts(mixed), counts(inOrder), `${name}, shuffled`);
  }
});

test("a segment waiting for its parent is forgotten once the parent turns out to be a call", () => {
  const resolver = new HopResolver();
  for (const segment of allSegments("scalable-webhook-naive").slice().reverse()) resolver.add([segment]);
  assert.equal(resolver.waiting.size, 0);
});
