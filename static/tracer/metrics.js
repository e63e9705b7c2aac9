// run.metrics samples -> chart columns (uPlot's [x[], y1[], ...]) and per-component badges.
// A sample: {t, interval_s, messages: {accepted, completed, ...}, latency_ms: {p50, p90, p99},
// components: {id: {requests_per_s, errors_per_s, throttles_per_s, gauges: {...}}}}.
// Gauges: SQS {visible, in_flight, oldest_age_s}; Lambda {concurrency, async_queue}. DOM-free.

export class MetricSeries {
  constructor(topology) {
    this.t = [];
    this.samples = [];
    this.kinds = new Map((topology?.components || []).map((c) => [c.id, c.kind]));
    this.deadLetterQueues = new Set((topology?.connections || []).filter((c) => c.role === "dead_letter").map((c) => c.target));
    this.entries = new Set(
      (topology?.components || []).map((c) => c.id).filter((id) => !(topology.connections || []).some((c) => c.target === id)),
    );
    this.previous = null;
    this.throughput = []; // messages accepted per second
    this.completedRate = []; // messages finished (completed) per second
    this.p50 = [];
    this.p90 = [];
    this.p99 = [];
  }

  add(sample) {
    const interval = sample.interval_s || 1;
    const previous = this.previous?.messages || {};
    const messages = sample.messages || {};
    this.t.push(sample.t);
    this.samples.push(sample);
    this.throughput.push(((messages.accepted || 0) - (previous.accepted || 0)) / interval);
    this.completedRate.push(((messages.completed || 0) - (previous.completed || 0)) / interval);
    const latency = sample.latency_ms || {};
    this.p50.push(latency.p50 ?? null);
    this.p90.push(latency.p90 ?? null);
    this.p99.push(latency.p99 ?? null);
    this.previous = sample;
  }

  get last() {
    return this.previous;
  }

  /** Component ids whose samples carry a gauge, in topology order. */
  withGauge(gauge) {
    const ids = new Set();
    for (const sample of this.samples) {
      for (const [id, component] of Object.entries(sample.components || {})) {
        if (component.gauges && gauge in component.gauges) ids.add(id);
      }
    }
    return [...ids];
  }

  /** uPlot data for one value per component: [t, series of each id]. */
  columns(ids, pick) {
    return [this.t.slice(), ...ids.map((id) => this.samples.map((sample) => {
      const component = sample.components?.[id];
      return component ? pick(component) ?? null : null;
    }))];
  }

  charts() {
    const queues = this.withGauge("visible");
    const functions = this.withGauge("concurrency");
    const busy = Object.keys(this.last?.components || {});
    return [
      { id: "throughput", title: "Throughput (messages/s)", labels: ["accepted", "completed"], data: [this.t.slice(), this.throughput.slice(), this.completedRate.slice()] },
      { id: "latency", title: "Latency of finished messages (ms)", labels: ["p50", "p90", "p99"], data: [this.t.slice(), this.p50.slice(), this.p90.slice(), this.p99.slice()] },
      { id: "depth", title: "Queue depth (visible messages)", labels: queues, data: this.columns(queues, (c) => c.gauges.visible) },
      { id: "age", title: "Age of oldest message (s)", labels: queues, data: this.columns(queues, (c) => c.gauges.oldest_age_s) },
      { id: "concurrency", title: "Concurrency (busy environments)", labels: functions, data: this.columns(functions, (c) => c.gauges.concurrency) },
      { id: "errors", title: "Errors + throttles per second", labels: busy, data: this.columns(busy, (c) => (c.errors_per_s || 0) + (c.throttles_per_s || 0)) },
    ].filter((chart) => chart.labels.length);
  }

  /**
   * Badges of each component from the last sample: [{id, items: [{key, label, value, tone}]}];
   * only what is non-zero (a quiet canvas is a healthy one), DLQ size always for DLQs with any.
   */
  badges() {
    const sample = this.last;
    if (!sample) return [];
    const result = [];
    for (const [id, component] of Object.entries(sample.components || {})) {
      const gauges = component.gauges || {};
      const items = [];
      const dlq = this.deadLetterQueues.has(id);
      if (dlq) {
        if (gauges.visible) items.push({ key: "dlq", label: "in DLQ", value: gauges.visible, tone: "fault" });
      } else {
        if (gauges.visible) items.push({ key: "depth", label: "queued", value: gauges.visible, tone: "info" });
        if (gauges.in_flight) items.push({ key: "in_flight", label: "in flight", value: gauges.in_flight, tone: "info" });
        if (gauges.concurrency) items.push({ key: "concurrency", label: "running", value: gauges.concurrency, tone: "info" });
      }
      if (component.errors_per_s) items.push({ key: "errors", label: "errors/s", value: round(component.errors_per_s), tone: "fault" });
      if (component.throttles_per_s) items.push({ key: "throttles", label: "throttles/s", value: round(component.throttles_per_s), tone: "throttle" });
      if (items.length) result.push({ id, items });
    }
    return result;
  }
}

function round(value) {
  return value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
}
