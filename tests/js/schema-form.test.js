import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { describeFields, parseInput, validateValue } from "../../static/designer/schema-form.js";

const catalog = JSON.parse(readFileSync(new URL("./catalog.fixture.json", import.meta.url), "utf8"));
const kind = (name) => catalog.kinds.find((k) => k.name === name);
const role = (name) => catalog.roles.find((r) => r.name === name);
const field = (fields, name) => fields.find((f) => f.name === name);

test("each schema type gets its control, the AWS default as placeholder and the help text", () => {
  const fields = describeFields(kind("sqs").properties, { VisibilityTimeout: 60 });
  const visibility = field(fields, "VisibilityTimeout");
  assert.equal(visibility.control, "number");
  assert.equal(visibility.placeholder, "default 30");
  assert.equal(visibility.text, "60");
  assert.equal(visibility.unit, "seconds");
  assert.equal(visibility.minimum, 0);
  assert.equal(visibility.maximum, 43200);
  assert.match(visibility.help, /hidden from other consumers/);
  assert.equal(field(fields, "FifoQueue").control, "boolean");
  assert.equal(field(fields, "FifoQueue").placeholder, "default false");
  assert.equal(field(fields, "DeduplicationScope").control, "select");
  assert.deepEqual(field(fields, "DeduplicationScope").options, ["queue", "messageGroup"]);
  assert.equal(field(fields, "ContentBasedDeduplication").text, "");
});

test("durations, objects and arrays", () => {
  const behavior = describeFields(kind("lambda").behavior, { duration_ms: { median: 120, p99: 800 } });
  const duration = field(behavior, "duration_ms");
  assert.equal(duration.control, "duration");
  assert.deepEqual(duration.duration, { shape: "median_p99", texts: { median: "120", p99: "800" } });
  assert.deepEqual(duration.shapes.map((shape) => shape.title), ["Fixed", "Median and p99"]);
  assert.equal(duration.defaultTitle, "Default (median 50, p99 250 ms)");
  const subscription = describeFields(role("subscription").properties, {});
  assert.equal(field(subscription, "FilterPolicy").control, "json");
  assert.equal(field(subscription, "FilterPolicy").placeholder, "not set");
  assert.equal(field(describeFields(kind("lambda").properties), "Architectures").control, "json");
});

test("nested objects and lists are checked as the emulator checks them", () => {
  const eventSource = describeFields(role("event_source").properties);
  const destination = field(eventSource, "DestinationConfig");
  assert.deepEqual(parseInput(destination, '{"OnFailure": "Skipped"}'),
    { error: "OnFailure: Must be a JSON object, e.g. {\"key\": \"value\"}." });
  assert.deepEqual(parseInput(destination, '{"OnFailure": {}}'), { error: 'OnFailure: Needs "Destination".' });
  assert.deepEqual(parseInput(destination, '{"OnFailure": {"Destination": "Skipped"}}'),
    { value: { OnFailure: { Destination: "Skipped" } } });
  const notification = describeFields(role("notification").properties);
  assert.deepEqual(parseInput(field(notification, "Events"), "[]"), { error: "Must not be empty." });
  assert.deepEqual(parseInput(field(notification, "Events"), '["s3:ObjectCreated:Copy"]'),
    { error: "Item 1: Must be one of s3:ObjectCreated:*, s3:ObjectCreated:Put, s3:ObjectRemoved:*, s3:ObjectRemoved:Delete." });
  const rule = describeFields(role("rule").properties);
  assert.deepEqual(parseInput(field(rule, "RuleName"), "two words"), { error: "Must match ^(?:[.\\-_A-Za-z0-9]{1,64})$." });
  assert.deepEqual(parseInput(field(rule, "InputTransformer"), '{"InputTemplate": "x", "InputPathsMap": {"a": 1}}'),
    { error: "InputPathsMap: a: Must be text." });
});

test("fields that do not apply are left out", () => {
  const fields = describeFields(role("dead_letter").properties, {}, () => false);
  assert.deepEqual(fields, []);
});

test("typed text becomes a value, empty means not set", () => {
  const fields = describeFields(kind("sqs").properties);
  assert.deepEqual(parseInput(field(fields, "VisibilityTimeout"), " 180 "), { value: 180 });
  assert.deepEqual(parseInput(field(fields, "VisibilityTimeout"), ""), { value: undefined });
  assert.deepEqual(parseInput(field(fields, "FifoQueue"), "true"), { value: true });
  assert.deepEqual(parseInput(field(fields, "DeduplicationScope"), "messageGroup"), { value: "messageGroup" });
});

test("values out of AWS ranges say what is valid", () => {
  const fields = describeFields(kind("sqs").properties);
  assert.deepEqual(parseInput(field(fields, "VisibilityTimeout"), "50000"),
    { error: "Must be between 0 and 43200 seconds." });
  assert.deepEqual(parseInput(field(fields, "VisibilityTimeout"), "2.5"), { error: "Must be a whole number." });
  assert.deepEqual(parseInput(field(fields, "VisibilityTimeout"), "soon"), { error: "Must be a number." });
  const rds = describeFields(kind("rds").behavior);
  assert.deepEqual(parseInput(field(rds, "connect_ms"), "-1"), { error: "Must be between 0 and 60000 ms." });
});

test("a duration's value is checked with the emulator's message", () => {
  const duration = field(describeFields(kind("lambda").behavior), "duration_ms");
  assert.equal(validateValue(duration.schema, { median: 100, p99: 900 }), null);
  assert.equal(validateValue(duration.schema, 120), null);
  assert.equal(validateValue(duration.schema, { median: 100, p99: 90 }),
    "p99 (90 ms) must not be below the median (100 ms)");
});

test("objects must be JSON objects, arrays JSON arrays", () => {
  const filter = field(describeFields(role("subscription").properties), "FilterPolicy");
  assert.deepEqual(parseInput(filter, '{"store": ["eu"]}'), { value: { store: ["eu"] } });
  assert.match(parseInput(filter, "[1]").error, /JSON object/);
  const architectures = field(describeFields(kind("lambda").properties), "Architectures");
  assert.deepEqual(parseInput(architectures, '["arm64"]'), { value: ["arm64"] });
  assert.match(parseInput(architectures, '"arm64"').error, /JSON array/);
});

test("validateValue checks enums", () => {
  assert.match(validateValue({ type: "string", enum: ["A", "B"] }, "C"), /one of A, B/);
  assert.equal(validateValue({ type: "string", enum: ["A", "B"] }, "A"), null);
});
