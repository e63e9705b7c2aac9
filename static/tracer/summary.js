// The summary tab's words and numbers (wiretap.summary/1): the message accounting with a tone per
// row (red only for what is bad and not zero), the sentence that says what became of the accepted
// messages, and a table per component of whatever CloudWatch metrics it reported, formatted.
// DOM-free; run-panels.js draws it.

import { formatDuration } from "./traces.js";

export const ACCOUNTING = ["accepted", "completed", "dead_lettered", "lost", "in_flight", "rejected", "duplicate_deliveries"];
const LABELS = {
  accepted: "Accepted", completed: "Completed", dead_lettered: "Dead-lettered", lost: "Lost",
  in_flight: "In flight at the end", rejected: "Rejected at the entry", duplicate_deliveries: "Duplicate deliveries",
};
// What a non-zero count means: bad (red), worth a look (amber).
const TONES = { dead_lettered: "bad", lost: "bad", in_flight: "warn", rejected: "warn", duplicate_deliveries: "warn" };
const PERCENTILE_KEYS = new Set(["p50", "p90", "p95", "p99", "max", "min", "mean"]);

/** 12345 -> "12,345"; 0.123456 -> "0.123"; other values as text. */
export function formatNumber(value) {
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en");
  return value.toLocaleString("en", { maximumFractionDigits: Math.abs(value) < 1 ? 4 : 3 });
}

/** "in_flight_by_component" -> "In flight by component". */
export function humanize(key) {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The accounting rows: the known outcomes in order, then any other key of `messages` (a number,
 * or an object of numbers shown as its own rows, such as a breakdown per component). */
export function accountingRows(messages = {}) {
  const rows = ACCOUNTING.map((key) => {
    const value = messages[key] ?? 0;
    return { key, label: LABELS[key], value, text: formatNumber(value), tone: value > 0 ? TONES[key] || "" : "" };
  });
  for (const [key, value] of Object.entries(messages)) {
    if (ACCOUNTING.includes(key)) continue;
    if (value !== null && typeof value === "object") {
      const parts = Object.entries(value).map(([name, count]) => ({ key: name, label: name, value: count,
        text: formatMetric(count), tone: "" }));
      rows.push({ key, label: humanize(key), value: null, text: "", tone: "", parts });
    } else {
      rows.push({ key, label: humanize(key), value, text: formatMetric(value), tone: "" });
    }
  }
  return rows;
}

const plural = (n, one, many = `${one}s`) => `${formatNumber(n)} ${n === 1 ? one : many}`;

/** What became of the accepted messages, in one or two sentences that never claim more than the
 * numbers say. Returns {text, tone}: tone "bad" when a message is unaccounted for, lost or
 * dead-lettered, "warn" when some were still in flight, else "". */
export function accountingSentence(messages = {}) {
  const n = (key) => messages[key] ?? 0;
  const accepted = n("accepted");
  const settled = n("completed") + n("dead_lettered") + n("lost") + n("in_flight");
  const parts = [`${formatNumber(n("completed"))} completed`];
  if (n("dead_lettered")) parts.push(`${formatNumber(n("dead_lettered"))} dead-lettered`);
  if (n("lost")) parts.push(`${formatNumber(n("lost"))} lost (expired, or dropped with nowhere to go)`);
  if (n("in_flight")) parts.push(`${formatNumber(n("in_flight"))} still in flight when the run ended`);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0];
  let text;
  if (!accepted) text = "No message was accepted.";
  else if (settled === accepted && parts.length === 1) text = `All ${plural(accepted, "accepted message")} completed.`;
  else text = `Of ${plural(accepted, "accepted message")}, ${list}.`;
  if (settled !== accepted) {
    text += ` The accounting does not balance: ${plural(Math.abs(accepted - settled), "message")} ` +
      `${settled < accepted ? "in none of these outcomes" : "counted twice"}.`;
  } else if (n("in_flight")) {
    text += " The run ended before they finished: a longer drain_s lets them.";
  }
  if (n("rejected")) text += ` ${plural(n("rejected"), "request")} refused at the entry (not accepted).`;
  const bad = settled !== accepted || n("lost") || n("dead_lettered");
  return { text, tone: bad ? "bad" : n("in_flight") ? "warn" : "" };
}

/** A metric's value as text: counts with separators, percentiles (always milliseconds in a
 * summary) as durations, a list of records (a breaker's transitions) one after another. */
export function formatMetric(value) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.length ? value.map(formatMetric).join("; ") : "none";
  if (typeof value === "object") {
    const entries = Object.entries(value);
    const percentiles = entries.length && entries.every(([key, v]) => PERCENTILE_KEYS.has(key) && typeof v === "number");
    return entries.map(([key, v]) => `${key} ${percentiles ? formatDuration(v) : formatMetric(v)}`).join(" · ");
  }
  return formatNumber(value);
}

/** A table per component that reported metrics, in the design's order, then any others:
 * [{id, kind, rows: [{name, text}]}]. */
export function componentTables(summary, topology = null) {
  const components = summary?.components || {};
  const kinds = new Map((topology?.components || []).map((c) => [c.id, c.kind]));
  const order = [...kinds.keys(), ...Object.keys(components).filter((id) => !kinds.has(id))];
  const tables = [];
  for (const id of order) {
    const metrics = components[id];
    if (!metrics || !Object.keys(metrics).length) continue;
    tables.push({ id, kind: kinds.get(id) || "", rows: Object.entries(metrics).map(([name, value]) => ({ name, text: formatMetric(value) })) });
  }
  return tables;
}
