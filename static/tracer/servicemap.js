// The service map from segments as they stream in: a node per component (requests, error /
// fault / throttle ratios, a latency histogram) and an edge per caller -> callee pair (calls,
// the same ratios, a histogram of the calls' durations), coloured as X-Ray does: green ok,
// yellow errors (4xx), red faults (5xx), purple throttles (429). DOM-free.
//
// A component reached only through its callers' subsegments (a DynamoDB table, an RDS database,
// a third-party HTTP API: no segment of its own) is an inferred node, as X-Ray draws one, with the
// numbers of the calls made to it. Every edge joins two nodes, whatever order segments come in.

import { hopsOfSegment, statusOf } from "./timeline.js";
import { EPOCH } from "./traces.js";

// Upper bounds (ms) of the latency histogram's buckets; the last one is open-ended.
export const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, Infinity];
export const COLOURS = { ok: "#2e8540", error: "#d99a00", fault: "#c62828", throttle: "#7b3fa0" };
// A node or edge takes a colour when that share of its requests is at least this.
const THRESHOLD = 0.01;

function newStats() {
  return { count: 0, errors: 0, faults: 0, throttles: 0, open: 0, histogram: new Array(BUCKETS_MS.length).fill(0), totalMs: 0 };
}

export function bucketOf(ms) {
  let i = 0;
  while (ms > BUCKETS_MS[i]) i += 1;
  return i;
}

function record(stats, status, ms) {
  stats.count += 1;
  if (status === "error") stats.errors += 1;
  else if (status === "fault") stats.faults += 1;
  else if (status === "throttle") stats.throttles += 1; // X-Ray counts 429s apart, in purple
  if (ms !== null) {
    stats.histogram[bucketOf(ms)] += 1;
    stats.totalMs += ms;
  }
}

/** The p-th percentile (0-100) of a histogram, as the upper bound of its bucket (ms). */
export function percentileOf(histogram, p) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i];
    if (seen >= rank) return BUCKETS_MS[i] === Infinity ? BUCKETS_MS[i - 1] : BUCKETS_MS[i];
  }
  return null;
}

/** X-Ray's health of a node or edge: {ok, error, fault, throttle} ratios and the colour key. */
export function health(stats) {
  const n = stats.count || 1;
  const ratios = { error: stats.errors / n, fault: stats.faults / n, throttle: stats.throttles / n };
  ratios.ok = Math.max(0, 1 - ratios.error - ratios.fault - ratios.throttle);
  let status = "ok";
  if (ratios.fault >= THRESHOLD) status = "fault";
  else if (ratios.throttle >= THRESHOLD) status = "throttle";
  else if (ratios.error >= THRESHOLD) status = "error";
  return { ratios, status, colour: COLOURS[status] };
}

/**
 * Turns segment batches into hops, remembering which component each segment id belongs to (a
 * bounded memory: a consumer's segment comes soon after the queue stay it continues). A segment
 * whose parent is not known yet waits for it: a segment of that id gives its arrival hop then; a
 * subsegment of that id (a synchronous call, already a hop of its caller) ends the wait. So the
 * hops do not depend on the order segments arrive in.
 */
export class HopResolver {
  constructor({ components = null, remember = 200_000 } = {}) {
    this.components = components;
    this.remember = remember;
    this.owner = new Map();
    this.calls = new Set(); // subsegment ids seen: a segment under one is the callee of a call
    this.waiting = new Map(); // parent id not seen yet -> [segments under it]
  }

  add(segments) {
    for (const segment of segments) {
      this.owner.set(segment.id, segment.name);
      walkCalls(segment, (sub) => this.calls.add(sub.id));
    }
    const ownerOf = (id) => this.owner.get(id);
    const result = [];
    for (const segment of segments) {
      for (const hop of hopsOfSegment(segment, ownerOf, this.components)) result.push(hop);
      const parent = segment.parent_id;
      if (parent && !this.owner.has(parent) && !this.calls.has(parent)) this.wait(parent, segment);
    }
    if (this.waiting.size) this.settleWaiting(segments, result);
    forgetOldest(this.owner, this.remember);
    forgetOldest(this.calls, this.remember);
    forgetOldest(this.waiting, this.remember / 4);
    return result;
  }

  wait(parent, segment) {
    const children = this.waiting.get(parent);
    if (children) children.push(segment);
    else this.waiting.set(parent, [segment]);
  }

  settleWaiting(segments, result) {
    for (const segment of segments) {
      const children = this.waiting.get(segment.id);
      if (children) {
        this.waiting.delete(segment.id);
        // Only their arrival: their own calls were found when they came.
        for (const child of children) {
          if (child.name !== segment.name) result.push(arrival(child, segment.name));
        }
      }
      walkCalls(segment, (sub) => this.waiting.delete(sub.id));
    }
  }
}

function arrival(segment, source) {
  return { traceId: segment.trace_id, source, target: segment.name, start: segment.start_time - EPOCH,
    end: (segment.end_time ?? segment.start_time) - EPOCH, status: statusOf(segment) };
}

function walkCalls(item, visit) {
  for (const sub of item.subsegments || []) {
    visit(sub);
    walkCalls(sub, visit);
  }
}

/** Drop a Map's or a Set's oldest entries (insertion order) once it holds more than ``limit``. */
function forgetOldest(items, limit) {
  if (items.size <= limit) return;
  let excess = items.size - limit * 0.75;
  for (const key of items.keys()) {
    if (excess-- <= 0) break;
    items.delete(key);
  }
}

export class ServiceMap {
  constructor({ components = null } = {}) {
    this.resolver = new HopResolver({ components });
    this.nodes = new Map(); // name -> {id, origin, inferred, stats, calls}
    this.edges = new Map(); // "source>target" -> {id, source, target, stats}
    this.version = 0;
  }

  node(name) {
    let node = this.nodes.get(name);
    if (!node) {
      // Inferred until a segment of its own arrives; `calls` is what its callers saw of it.
      node = { id: name, origin: "", inferred: true, stats: newStats(), calls: newStats() };
      this.nodes.set(name, node);
    }
    return node;
  }

  /** Add a batch of segments; returns the hops found in it (for the animation). */
  add(segments) {
    for (const segment of segments) {
      const node = this.node(segment.name);
      node.inferred = false;
      node.origin = segment.origin || node.origin;
      if (segment.in_progress) {
        node.stats.open += 1;
        continue;
      }
      record(node.stats, statusOf(segment), (segment.end_time - segment.start_time) * 1000);
    }
    const found = this.resolver.add(segments);
    for (const hop of found) {
      const ms = (hop.end - hop.start) * 1000;
      this.node(hop.source);
      record(this.node(hop.target).calls, hop.status, ms);
      const key = `${hop.source}>${hop.target}`;
      let edge = this.edges.get(key);
      if (!edge) {
        edge = { id: key, source: hop.source, target: hop.target, stats: newStats() };
        this.edges.set(key, edge);
      }
      record(edge.stats, hop.status, ms);
    }
    this.version += 1;
    return found;
  }

  /** Plain nodes and edges with counts, ratios, colours and latency percentiles. An inferred
   * node counts the calls made to it; every edge joins two of the nodes. */
  graph() {
    const nodes = [...this.nodes.values()].map(({ stats, calls, ...node }) => describe(node, node.inferred ? calls : stats));
    const edges = [...this.edges.values()]
      .filter((edge) => this.nodes.has(edge.source) && this.nodes.has(edge.target))
      .map(({ stats, ...edge }) => describe(edge, stats));
    return { nodes, edges };
  }
}

function describe(item, stats) {
  const { ratios, status, colour } = health(stats);
  const measured = stats.histogram.reduce((a, b) => a + b, 0);
  return {
    ...item,
    count: stats.count,
    open: stats.open,
    errors: stats.errors,
    faults: stats.faults,
    throttles: stats.throttles,
    ratios,
    status,
    colour,
    meanMs: measured ? stats.totalMs / measured : null,
    p50Ms: percentileOf(stats.histogram, 50),
    p99Ms: percentileOf(stats.histogram, 99),
    histogram: stats.histogram.slice(),
  };
}

/** The service map of segment batches, in whatever order they come: {nodes, edges}. */
export function serviceGraph(batches, { components = null } = {}) {
  const map = new ServiceMap({ components });
  for (const batch of batches) map.add(batch);
  return map.graph();
}

/** The histogram as bars for a small chart: [{label, count, share}] (empty tail trimmed). */
export function histogramBars(histogram) {
  let last = histogram.length - 1;
  while (last > 0 && !histogram[last]) last -= 1;
  let first = 0;
  while (first < last && !histogram[first]) first += 1;
  const max = Math.max(1, ...histogram);
  const bars = [];
  for (let i = first; i <= last; i += 1) {
    const upper = BUCKETS_MS[i];
    const label = upper === Infinity ? `>${formatMs(BUCKETS_MS[i - 1])}` : `≤${formatMs(upper)}`;
    bars.push({ label, count: histogram[i], share: histogram[i] / max });
  }
  return bars;
}

function formatMs(ms) {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
