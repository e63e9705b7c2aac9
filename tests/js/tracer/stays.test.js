import { test } from "node:test";
import assert from "node:assert/strict";

import { flightBetween, formatSeconds, stayStory } from "../../../static/tracer/stays.js";
import { waterfall } from "../../../static/tracer/timeline.js";
import { allSegments } from "./helpers.js";

const QUEUE = "AWS::SQS::Queue";
const stay = (id, start, end, annotations, metadata = undefined, name = "Jobs", parent = undefined) => ({
  trace_id: "1-6955b900-000000000000000000000001", id, name, origin: QUEUE, start_time: start, end_time: end,
  parent_id: parent, aws: { operation: "ReceiveMessage" }, annotations: { message_id: "msg-1", ...annotations },
  ...(metadata ? { metadata } : {}), ...(end === null ? { in_progress: true } : {}),
});

test("a stay that came back after the visibility timeout says so, and the flight before it lasts the timeout", () => {
  const first = stay("a", 100, 100.2, { receive_count: 1, outcome: "received" }, { sqs: { SentTimestamp: "1" } });
  const second = stay("b", 130.2, 130.2, { receive_count: 2, outcome: "received" }, { sqs: { VisibilityTimeout: 30 } }, "Jobs", "a");
  const story = stayStory(second, { parent: first });
  assert.equal(story.short, "visible again, received");
  assert.deepEqual(story.sentences, [
    "Visible again once the visibility timeout (VisibilityTimeout 30 s) of the last receive ran out without a DeleteMessage.",
    "Received (ReceiveMessage, ApproximateReceiveCount 2).",
  ]);
  const flight = flightBetween(first, second);
  assert.deepEqual([flight.start, flight.end, flight.short], [100.2, 130.2, "in flight (VisibilityTimeout 30 s)"]);
  assert.deepEqual(flight.sentences, ["In flight: received (receive 1) and not deleted, invisible until the visibility timeout of 30 s ran out."]);
  assert.equal(flightBetween(second, stay("c", 130.2, 131, { receive_count: 2, outcome: "received" }, undefined, "Jobs", "b")), null);
});

test("the move to the dead-letter queue names maxReceiveCount, and the dead-letter queue's stay its source", () => {
  const moved = stay("e", 160, 161, { receive_count: 5, outcome: "dead_lettered" }, { sqs: { VisibilityTimeout: 30,
    RedrivePolicy: { deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:JobsDLQ", maxReceiveCount: 5 } } });
  assert.equal(stayStory(moved).short, "to JobsDLQ (maxReceiveCount 5)");
  assert.equal(stayStory(moved).sentences.at(-1),
    "Moved to the dead-letter queue JobsDLQ at the next receive: it had been received 5 times, the maxReceiveCount of 5.");
  const kept = stay("f", 161, null, { receive_count: 0, outcome: "in_queue" }, { sqs: { SentTimestamp: "1" } }, "JobsDLQ", "e");
  assert.deepEqual(stayStory(kept, { parent: moved }), { short: "from Jobs, still there at the end", sentences: [
    "Moved here from Jobs by its redrive policy (RedrivePolicy).", "Still in the queue when the run ended."] });
});

test("an expiry names MessageRetentionPeriod; a send names its caller; a second copy and a deletion say what they are", () => {
  const expired = stay("g", 0, 345_600, { receive_count: 0, outcome: "expired" },
    { sqs: { SentTimestamp: "1", MessageRetentionPeriod: 345_600 } });
  assert.deepEqual(stayStory(expired, { caller: "Api" }), { short: "sent, expired (MessageRetentionPeriod 4 days)", sentences: [
    "Sent by Api (SendMessage).",
    "Expired: deleted by the queue once older than its MessageRetentionPeriod of 4 days; the message is lost."] });
  const received = stay("h", 1, 2, { receive_count: 1, outcome: "received" }, { sqs: { SentTimestamp: "1" } });
  const copy = stay("i", 2, 3, { receive_count: 1, outcome: "deleted" }, undefined, "Jobs", "h");
  assert.equal(stayStory(copy, { parent: received }).short, "second copy, deleted");
  assert.match(stayStory(copy, { parent: received }).sentences[0], /deliver at least once/);
});

test("durations in the words people use", () => {
  assert.equal(formatSeconds(30), "30 s");
  assert.equal(formatSeconds(25.5), "25.5 s");
  assert.equal(formatSeconds(90), "1 min 30 s");
  assert.equal(formatSeconds(300), "5 min");
  assert.equal(formatSeconds(3600), "1 h");
  assert.equal(formatSeconds(86_400), "1 day");
  assert.equal(formatSeconds(1_209_600), "14 days");
});

test("the visibility timeout mistake's waterfall says every return in AWS's words, no zero-length wait alone", () => {
  const byTrace = new Map();
  for (const segment of allSegments("sqs-visibility-timeout-mistake")) {
    if (!byTrace.has(segment.trace_id)) byTrace.set(segment.trace_id, []);
    byTrace.get(segment.trace_id).push(segment);
  }
  const returned = [...byTrace.values()].find((segments) => segments.some((s) => s.annotations?.receive_count >= 3));
  const rows = waterfall(returned).rows;
  const stays = rows.filter((row) => row.kind === "wait");
  assert.ok(stays.length >= 3);
  assert.equal(stays[0].label, "Jobs · sent, received");
  for (const row of stays.slice(1)) {
    assert.match(row.label, /^Jobs · visible again, /);
    assert.match(row.story[0], /VisibilityTimeout 30 s/);
  }
  const flights = rows.filter((row) => row.kind === "flight");
  assert.equal(flights.length, stays.length - 1);
  for (const flight of flights) assert.equal(Math.round(flight.endMs - flight.startMs), 30_000);
});
