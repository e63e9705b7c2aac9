import { test } from "node:test";
import assert from "node:assert/strict";

import { accountingRows, accountingSentence, componentTables, formatMetric, formatNumber } from "../../../static/tracer/summary.js";
import { fixture } from "./helpers.js";

const messages = (extra) => ({ accepted: 0, completed: 0, dead_lettered: 0, rejected: 0, in_flight: 0, lost: 0,
  duplicate_deliveries: 0, ...extra });
const tones = (rows) => Object.fromEntries(rows.map((row) => [row.key, row.tone]));

test("zeros are never red: only lost and dead-lettered messages that exist are", () => {
  const clean = tones(accountingRows(messages({ accepted: 10, completed: 10 })));
  assert.deepEqual(Object.values(clean).filter(Boolean), []);
  const bad = tones(accountingRows(messages({ accepted: 10, completed: 5, dead_lettered: 2, lost: 1, in_flight: 2, rejected: 3 })));
  assert.equal(bad.dead_lettered, "bad");
  assert.equal(bad.lost, "bad");
  assert.equal(bad.in_flight, "warn");
  assert.equal(bad.rejected, "warn");
  assert.equal(bad.completed, "");
});

test("the sentence says how many were still in flight instead of claiming all are accounted for", () => {
  const { text, tone } = accountingSentence(messages({ accepted: 5477, completed: 4422, in_flight: 1055 }));
  assert.equal(text, "Of 5,477 accepted messages, 4,422 completed and 1,055 still in flight when the run ended. " +
    "The run ended before they finished: a longer drain_s lets them.");
  assert.equal(tone, "warn");
  assert.doesNotMatch(text, /every accepted message is accounted for/i);
});

test("the sentence names the dead-lettered, the lost and the refused", () => {
  const { text, tone } = accountingSentence(messages({ accepted: 60, completed: 47, dead_lettered: 12, lost: 1, rejected: 9 }));
  assert.equal(text, "Of 60 accepted messages, 47 completed, 12 dead-lettered and 1 lost (expired, or dropped with " +
    "nowhere to go). 9 requests refused at the entry (not accepted).");
  assert.equal(tone, "bad");
  assert.deepEqual(accountingSentence(messages({ accepted: 3, completed: 3 })), { text: "All 3 accepted messages completed.", tone: "" });
  assert.equal(accountingSentence(messages({ rejected: 4 })).text, "No message was accepted. 4 requests refused at the entry (not accepted).");
});

test("an accounting that does not balance says so", () => {
  const { text, tone } = accountingSentence(messages({ accepted: 10, completed: 7 }));
  assert.match(text, /does not balance: 3 messages in none of these outcomes/);
  assert.equal(tone, "bad");
});

test("other keys of the accounting are shown too, a breakdown as its own rows", () => {
  const rows = accountingRows(messages({ accepted: 9, completed: 4, in_flight: 5, in_flight_by_component: { Inbox: 3, Writer: 2 }, retries: 1250 }));
  const byKey = Object.fromEntries(rows.map((row) => [row.key, row]));
  assert.equal(byKey.retries.label, "Retries");
  assert.equal(byKey.retries.text, "1,250");
  assert.equal(byKey.in_flight_by_component.label, "In flight by component");
  assert.deepEqual(byKey.in_flight_by_component.parts.map((part) => [part.label, part.text]), [["Inbox", "3"], ["Writer", "2"]]);
});

test("every per-component metric of a real summary is in its component's table, formatted", () => {
  const { summary, topology } = fixture("scalable-webhook-naive");
  const tables = componentTables(summary, topology);
  const expected = Object.entries(summary.components).filter(([, metrics]) => Object.keys(metrics).length);
  assert.deepEqual(tables.map((table) => table.id).sort(), expected.map(([id]) => id).sort());
  for (const table of tables) {
    assert.deepEqual(table.rows.map((row) => row.name), Object.keys(summary.components[table.id]));
    assert.ok(table.kind, table.id);
    for (const row of table.rows) assert.doesNotMatch(row.text, /object|undefined|NaN/, `${table.id}.${row.name}`);
  }
  const orders = tables.find((table) => table.id === "Orders");
  assert.ok(orders.rows.some((row) => row.name === "DatabaseConnections"));
  assert.ok(orders.rows.some((row) => row.name === "QueryLatency" && /^p50 \d.* ms · p99 /.test(row.text)));
});

test("metric values: counts, fractions, percentiles in milliseconds, records, text", () => {
  assert.equal(formatNumber(5477), "5,477");
  assert.equal(formatNumber(0.123456), "0.1235");
  assert.equal(formatNumber(55.0), "55");
  assert.equal(formatMetric({ p50: 17349.6, p99: 26546.3 }), "p50 17.3 s · p99 26.5 s");
  assert.equal(formatMetric([{ at_s: 12.5, state: "open" }, { at_s: 42, state: "half_open" }]), "at_s 12.5 · state open; at_s 42 · state half_open");
  assert.equal(formatMetric([]), "none");
  assert.equal(formatMetric("closed"), "closed");
  assert.equal(formatMetric(null), "–");
});
