// The waterfall of one trace: its segments and subsegments across every hop as rows with start
// and end offsets, depth, kind (a hop, a call, a stay in a queue told in AWS's words by stays.js,
// the flight between two stays, a cold start), attempt or receive labels and status. Also the hops of a trace (which component passed the message to
// which), for highlighting its path and for tokens. Pure geometry, no DOM.

import { flightBetween, stayStory } from "./stays.js";
import { EPOCH } from "./traces.js";

const QUEUE_ORIGINS = new Set(["AWS::SQS::Queue"]);

/** Whether a segment is a message's stay in a queue (SQS's dwell segment). */
export function isWait(segment) {
  return QUEUE_ORIGINS.has(segment.origin) && (segment.aws?.operation === "ReceiveMessage" || !segment.aws);
}

export function statusOf(item) {
  if (item.throttle) return "throttle";
  if (item.fault) return "fault";
  if (item.error) return "error";
  return "ok";
}

function attemptLabel(annotations) {
  if (!annotations) return "";
  if (annotations.receive_count !== undefined) {
    return annotations.receive_count ? `receive ${annotations.receive_count}` : "";
  }
  if (annotations.attempt !== undefined) return `attempt ${annotations.attempt}`;
  return "";
}


/**
 * The virtual time that ends a trace's waterfall while the run goes on: the run's clock for a
 * message still in flight (its open hops and the wait since its last one grow), nothing for a
 * finished one, so a trace that took 1.5 s is drawn on a 1.5 s axis, not stretched to the run's.
 */
export function waterfallNow(runRunning, outcome, virtualSeconds) {
  return runRunning && (outcome === undefined || outcome === "in_flight") ? virtualSeconds : null;
}

/**
 * Rows of the waterfall. `now` (virtual seconds since the epoch start, optional) ends the open
 * (in progress) rows; else they run to the trace's last known time.
 * Returns {start, end, durationMs, rows}; each row: {key, name, kind: "hop"|"wait"|"flight"|"call"|
 * "init"|"sub", depth, startMs, endMs, open, status, attempt, label, story (sentences saying what
 * happened, for a stay or a flight), outcome, item (the document), segment (the segment it belongs to)}.
 */
export function waterfall(segments, { now = null } = {}) {
  if (!segments.length) return { start: 0, end: 0, durationMs: 0, rows: [] };
  const bySegmentId = new Map();
  const bySubsegmentId = new Map(); // subsegment id -> {sub, segment}
  for (const segment of segments) {
    bySegmentId.set(segment.id, segment);
    walkSubsegments(segment, (sub) => bySubsegmentId.set(sub.id, { sub, segment }));
  }
  let start = Infinity;
  let end = -Infinity;
  for (const segment of segments) {
    start = Math.min(start, segment.start_time);
    end = Math.max(end, segment.end_time ?? segment.start_time);
  }
  if (now !== null) end = Math.max(end, EPOCH + now);

  // Children of each node (a segment id or a subsegment id); roots have no known parent.
  const children = new Map();
  const roots = [];
  for (const segment of segments) {
    const parent = segment.parent_id;
    if (parent && (bySegmentId.has(parent) || bySubsegmentId.has(parent))) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(segment);
    } else {
      roots.push(segment);
    }
  }
  const byStart = (a, b) => a.start_time - b.start_time || (a.end_time ?? Infinity) - (b.end_time ?? Infinity);
  roots.sort(byStart);

  const rows = [];
  const ms = (t) => (t - start) * 1000;
  const visited = new Set();

  const addSegment = (segment, depth) => {
    if (visited.has(segment.id)) return; // defensive: a cycle in bad data
    visited.add(segment.id);
    const wait = isWait(segment);
    const open = Boolean(segment.in_progress);
    const annotations = segment.annotations || {};
    const story = wait ? stayStory(segment, {
      parent: bySegmentId.get(segment.parent_id) || null,
      caller: bySubsegmentId.get(segment.parent_id)?.segment.name || null,
    }) : null;
    rows.push({
      key: segment.id,
      name: segment.name,
      kind: wait ? "wait" : "hop",
      depth,
      startMs: ms(segment.start_time),
      endMs: ms(open ? end : segment.end_time ?? segment.start_time),
      open,
      status: statusOf(segment),
      attempt: attemptLabel(annotations),
      label: story?.short ? `${segment.name} · ${story.short}` : segment.name,
      story: story?.sentences || [],
      outcome: annotations.outcome || "",
      origin: segment.origin || "",
      item: segment,
      segment,
    });
    // Its subsegments and the segments hanging under it, in time order.
    const items = [];
    for (const sub of segment.subsegments || []) items.push({ sub, start_time: sub.start_time, end_time: sub.end_time });
    for (const child of children.get(segment.id) || []) items.push({ child, start_time: child.start_time, end_time: child.end_time });
    items.sort(byStart);
    for (const entry of items) {
      if (entry.sub) {
        addSubsegment(entry.sub, segment, depth + 1);
        continue;
      }
      // A new stay in the same queue, or a retry of the same function: a sibling, not a level down.
      const sibling = entry.child.name === segment.name;
      if (sibling) addFlight(segment, entry.child, depth);
      addSegment(entry.child, sibling ? depth : depth + 1);
    }
  };

  // The time a received message spent invisible before it came back to the queue: a row of its own.
  const addFlight = (previous, next, depth) => {
    const flight = flightBetween(previous, next);
    if (!flight) return;
    rows.push({
      key: `${previous.id}>${next.id}`, name: previous.name, kind: "flight", depth,
      startMs: ms(flight.start), endMs: ms(flight.end), open: false, status: "ok", attempt: "",
      label: `${previous.name} · ${flight.short}`, story: flight.sentences, outcome: "", origin: previous.origin || "",
      item: previous, segment: previous,
    });
  };

  const addSubsegment = (sub, segment, depth) => {
    const init = sub.name === "Initialization";
    const call = !init && (sub.namespace === "aws" || sub.namespace === "remote");
    const operation = sub.aws?.operation;
    rows.push({
      key: sub.id,
      name: sub.name,
      kind: init ? "init" : call ? "call" : "sub",
      depth,
      startMs: ms(sub.start_time),
      endMs: ms(sub.end_time ?? end),
      open: sub.end_time === undefined || sub.end_time === null,
      status: statusOf(sub),
      attempt: "",
      label: init ? "cold start" : operation ? `${sub.name} · ${operation}` : sub.name,
      story: [],
      outcome: "",
      origin: "",
      item: sub,
      segment,
    });
    const items = [];
    for (const nested of sub.subsegments || []) items.push({ sub: nested, start_time: nested.start_time, end_time: nested.end_time });
    for (const child of children.get(sub.id) || []) items.push({ child, start_time: child.start_time, end_time: child.end_time });
    items.sort(byStart);
    for (const entry of items) {
      if (entry.sub) addSubsegment(entry.sub, segment, depth + 1);
      else addSegment(entry.child, depth + 1);
    }
  };

  for (const root of roots) addSegment(root, 0);
  return { start: start - EPOCH, end: end - EPOCH, durationMs: (end - start) * 1000, rows };
}

function walkSubsegments(item, visit) {
  for (const sub of item.subsegments || []) {
    visit(sub);
    walkSubsegments(sub, visit);
  }
}

/**
 * The hops one segment shows: its calls to other components (subsegments, which carry the call's
 * status), and its own arrival when its parent is another component's segment (a queue handing
 * the message to its consumer or to its dead-letter queue). `ownerOf(segmentId)` names the
 * component of a segment seen before (undefined when unknown). Virtual seconds.
 */
export function hopsOfSegment(segment, ownerOf, components = null) {
  const result = [];
  const from = segment.parent_id ? ownerOf(segment.parent_id) : undefined;
  if (from && from !== segment.name) {
    result.push({ traceId: segment.trace_id, source: from, target: segment.name, start: segment.start_time - EPOCH,
      end: (segment.end_time ?? segment.start_time) - EPOCH, status: statusOf(segment) });
  }
  walkSubsegments(segment, (sub) => {
    if (sub.name === "Initialization" || sub.name === segment.name) return;
    if (!(sub.namespace === "aws" || sub.namespace === "remote")) return;
    if (components && !components.has(sub.name)) return;
    result.push({ traceId: segment.trace_id, source: segment.name, target: sub.name, start: sub.start_time - EPOCH,
      end: (sub.end_time ?? sub.start_time) - EPOCH, status: statusOf(sub) });
  });
  return result;
}

/** The hops of a whole trace in time order: which component passed the message to which. */
export function hops(segments, components = null) {
  const owner = new Map(segments.map((segment) => [segment.id, segment.name]));
  const result = segments.flatMap((segment) => hopsOfSegment(segment, (id) => owner.get(id), components));
  result.sort((a, b) => a.start - b.start);
  return result;
}

/** Nice tick marks (ms) for an axis of `durationMs`, about `count` of them. */
export function ticks(durationMs, count = 6) {
  if (!(durationMs > 0)) return [0];
  const raw = durationMs / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const result = [];
  for (let t = 0; t <= durationMs + step * 1e-9; t += step) result.push(Math.round(t * 1e6) / 1e6);
  return result;
}

/**
 * Pixel geometry of the rows for a bar area `width` px wide: x, w (at least minWidth), y.
 * Open rows keep going to the right edge of the area.
 */
export function geometry(layout, { width, rowHeight = 24, minWidth = 2 }) {
  const span = layout.durationMs || 1;
  const scale = width / span;
  return layout.rows.map((row, index) => {
    const x = Math.max(0, Math.min(width - minWidth, row.startMs * scale));
    const w = Math.max(minWidth, Math.min(width - x, (row.endMs - row.startMs) * scale));
    return { row, x, w, y: index * rowHeight };
  });
}
