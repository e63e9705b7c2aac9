// The index of a run's traces (one per message), built from segment batches as they stream in:
// per trace its entry, start, end, duration, outcome, flags and the components it touched;
// filters over them; outcome counts kept up to date. Segment documents are kept for a bounded
// number of traces (the latest, and failures first); older ones are fetched from the API.
//
// Outcomes (the backend's Trace.outcome): completed, failed, dead_lettered, throttled, lost,
// rejected, in_flight. When a message is finished only the ledger knows (a `run.traces` message:
// `settle`); from segments alone failures are known at once (dead-lettered, lost, throttled or
// failed at the entry) and the rest stays in_flight until the run ends (`finishRun`).
//
// DOM-free; times are virtual seconds from the run's start (EPOCH subtracted).

export const EPOCH = 1767225600;
export const OUTCOMES = ["completed", "failed", "dead_lettered", "throttled", "lost", "rejected", "in_flight"];
export const OUTCOME_LABELS = {
  completed: "Completed",
  failed: "Failed",
  dead_lettered: "Dead-lettered",
  throttled: "Throttled",
  lost: "Lost",
  rejected: "Rejected",
  in_flight: "In flight",
};

const DEAD_LETTER_MARKS = new Set(["dead_lettered", "on_failure", "dead_letter"]);
const LOST_MARKS = new Set(["expired", "lost", "on_failure_failed", "dead_letter_failed", "on_success_failed"]);

function newTrace(id) {
  return {
    id,
    messageId: "",
    entry: "",
    entryStart: Infinity, // start of the segment taken as the entry (root first)
    entryIsRoot: false,
    start: Infinity,
    end: -Infinity,
    durationMs: 0,
    outcome: "in_flight",
    components: [],
    segmentCount: 0,
    errors: 0, // segments (or subsegments) flagged error / fault / throttle
    faults: 0,
    throttles: 0,
    maxAttempt: 1, // the highest attempt or receive count seen
    open: 0, // in_progress segments
    deadLettered: false,
    destined: false, // handed to an on_success destination: what waits there is not in flight
    lost: false,
    entryThrottled: false,
    entryFailed: false,
    settled: null, // the ledger's outcome when told
    settledDurationMs: null,
    segmentsDropped: false,
  };
}

export class TraceIndex {
  /** keepSegments: how many traces keep their segment documents in memory. */
  constructor({ keepSegments = 5000 } = {}) {
    this.traces = new Map();
    this.list = []; // trace records, first seen first
    this.segments = new Map(); // trace id -> segment documents (bounded, see trim)
    this.keepSegments = keepSegments;
    this.runEnded = false;
    this.counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0]));
    this.componentSet = new Set();
    this.version = 0; // bumped by every change (for the page's caches)
  }

  get size() {
    return this.list.length;
  }

  get(id) {
    return this.traces.get(id);
  }

  /** Add a batch of X-Ray segment documents; returns the ids of the traces that changed. */
  add(segments) {
    const changed = new Set();
    for (const segment of segments) {
      const id = segment.trace_id;
      let trace = this.traces.get(id);
      if (!trace) {
        trace = newTrace(id);
        this.traces.set(id, trace);
        this.list.push(trace);
        this.counts[trace.outcome] += 1;
      }
      absorb(trace, segment);
      if (!this.componentSet.has(segment.name)) this.componentSet.add(segment.name);
      const kept = this.segments.get(id);
      if (kept) kept.push(segment);
      else if (!trace.segmentsDropped) this.segments.set(id, [segment]);
      changed.add(trace);
    }
    for (const trace of changed) this.reclassify(trace);
    if (this.segments.size > this.keepSegments * 1.25) this.trim();
    this.version += 1;
    return [...changed].map((trace) => trace.id);
  }

  /** The ledger's word on finished messages: [{trace_id, outcome, duration_ms?}]. */
  settle(items) {
    const changed = [];
    for (const item of items) {
      let trace = this.traces.get(item.trace_id);
      if (!trace) {
        trace = newTrace(item.trace_id);
        this.traces.set(trace.id, trace);
        this.list.push(trace);
        this.counts[trace.outcome] += 1;
      }
      trace.settled = item.outcome;
      if (typeof item.duration_ms === "number") trace.settledDurationMs = item.duration_ms;
      this.reclassify(trace);
      changed.push(trace.id);
    }
    this.version += 1;
    return changed;
  }

  /** The run is over: what has no open stay and no ledger word is taken as completed. */
  finishRun() {
    this.runEnded = true;
    for (const trace of this.traces.values()) this.reclassify(trace);
    this.version += 1;
  }

  reclassify(trace) {
    const outcome = outcomeOf(trace, this.runEnded);
    if (outcome !== trace.outcome) {
      this.counts[trace.outcome] -= 1;
      this.counts[outcome] += 1;
      trace.outcome = outcome;
    }
    trace.durationMs = trace.settledDurationMs ?? (trace.end > trace.start ? (trace.end - trace.start) * 1000 : 0);
  }

  /**
   * Keep segment documents for at most keepSegments traces: drop the oldest clean completed ones
   * first, then other clean ones, then the oldest of any. A trace that lost its documents keeps
   * none (never a partial list): the page fetches it from the API.
   */
  trim() {
    let excess = this.segments.size - this.keepSegments;
    const passes = [
      (trace) => trace.outcome === "completed" && clean(trace),
      (trace) => clean(trace) && (trace.outcome === "completed" || trace.outcome === "in_flight"),
      () => true,
    ];
    for (const drop of passes) {
      for (const id of this.segments.keys()) {
        if (excess <= 0) return;
        const trace = this.traces.get(id);
        if (drop(trace)) {
          this.segments.delete(id);
          trace.segmentsDropped = true;
          excess -= 1;
        }
      }
    }
  }

  /** The segment documents of a trace, or null when they are no longer kept (ask the API). */
  segmentsOf(id) {
    return this.segments.get(id) || null;
  }

  components() {
    return [...this.componentSet].sort();
  }

  /**
   * Traces matching a filter, in order of first segment (or sorted):
   * {outcomes: Set|array|null, component: string|null, minMs, maxMs, text, sort: "start"|"duration"}
   */
  filter({ outcomes = null, component = null, minMs = null, maxMs = null, text = "", sort = "start" } = {}) {
    const wanted = outcomes && (outcomes.size ?? outcomes.length) ? new Set(outcomes) : null;
    const min = minMs ?? -Infinity;
    const max = maxMs ?? Infinity;
    const needle = text.trim().toLowerCase();
    const result = [];
    const list = this.list;
    const all = !wanted && !component && !needle && min === -Infinity && max === Infinity;
    if (all) result.push(...list);
    else for (let i = 0; i < list.length; i += 1) {
      const trace = list[i];
      if (wanted && !wanted.has(trace.outcome)) continue;
      if (trace.durationMs < min || trace.durationMs > max) continue;
      if (component && !trace.components.includes(component)) continue;
      if (needle && !trace.id.includes(needle) && !trace.messageId.toLowerCase().includes(needle)) continue;
      result.push(trace);
    }
    if (sort === "duration") result.sort((a, b) => b.durationMs - a.durationMs);
    else if (sort === "start" && !sortedByStart(result)) result.sort((a, b) => a.start - b.start);
    return result;
  }
}

function absorb(trace, segment) {
  trace.segmentCount += 1;
  const start = segment.start_time - EPOCH;
  const end = (segment.end_time ?? segment.start_time) - EPOCH;
  if (start < trace.start) trace.start = start;
  if (end > trace.end) trace.end = end;
  if (!trace.components.includes(segment.name)) trace.components.push(segment.name);
  const annotations = segment.annotations || {};
  if (!trace.messageId && annotations.message_id) trace.messageId = annotations.message_id;
  const attempt = Math.max(annotations.attempt || 0, annotations.receive_count || 0);
  if (attempt > trace.maxAttempt) trace.maxAttempt = attempt;
  if (segment.in_progress) trace.open += 1;
  const mark = annotations.outcome;
  if (DEAD_LETTER_MARKS.has(mark)) trace.deadLettered = true;
  if (LOST_MARKS.has(mark)) trace.lost = true;
  if (mark === "on_success") trace.destined = true;
  countFlags(trace, segment);
  // The entry: the root segment (no parent), else the earliest so far.
  const isRoot = !segment.parent_id;
  if ((isRoot && !trace.entryIsRoot) || (isRoot === trace.entryIsRoot && start < trace.entryStart)) {
    trace.entry = segment.name;
    trace.entryStart = start;
    trace.entryIsRoot = isRoot;
    trace.entryThrottled = Boolean(segment.throttle);
    trace.entryFailed = Boolean(isRoot && (segment.fault || segment.error) && !segment.throttle);
  }
}

function countFlags(trace, item) {
  if (item.error) trace.errors += 1;
  if (item.fault) trace.faults += 1;
  if (item.throttle) trace.throttles += 1;
  if (item.subsegments) for (const sub of item.subsegments) countFlags(trace, sub);
}

function sortedByStart(traces) {
  for (let i = 1; i < traces.length; i += 1) if (traces[i - 1].start > traces[i].start) return false;
  return true;
}

function clean(trace) {
  return !trace.errors && !trace.faults && !trace.throttles && !trace.deadLettered && !trace.lost;
}

/** A trace's outcome from the ledger's word, else from what its segments show. */
export function outcomeOf(trace, runEnded = false) {
  const settled = trace.settled;
  if (settled) {
    if (settled === "rejected") return trace.throttles ? "throttled" : trace.faults ? "failed" : "rejected";
    return settled;
  }
  if (trace.deadLettered) return "dead_lettered";
  if (trace.lost) return "lost";
  if (trace.entryThrottled) return "throttled";
  if (trace.entryFailed) return "failed";
  if (runEnded) return trace.open && !trace.destined ? "in_flight" : "completed";
  return "in_flight";
}

/** A short human duration: 850 ms, 3.2 s, 2 min 5 s. */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A trace row from the API (GET /api/runs/<id>/traces/) in the index's shape. */
export function fromApiRow(row) {
  const trace = newTrace(row.trace_id);
  Object.assign(trace, {
    messageId: row.message_id || "",
    entry: row.entry || "",
    start: row.start_s ?? 0,
    end: row.end_s ?? row.start_s ?? 0,
    durationMs: row.duration_ms ?? 0,
    outcome: row.outcome,
    settled: row.outcome,
    components: Array.isArray(row.components) ? row.components : String(row.components || "").trim().split(/\s+/).filter(Boolean),
    segmentCount: row.segment_count ?? 0,
    errors: row.has_error ? 1 : 0,
    faults: row.has_fault ? 1 : 0,
    throttles: row.has_throttle ? 1 : 0,
  });
  return trace;
}
