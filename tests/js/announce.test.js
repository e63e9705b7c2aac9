import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  describeAdded,
  describeComponent,
  describeConnected,
  describeDeleted,
  describeDropped,
  describePosition,
  describeTarget,
  someIds,
} from "../../static/designer/announce.js";

const catalog = JSON.parse(readFileSync(new URL("./catalog.fixture.json", import.meta.url), "utf8"));
const design = {
  format: "wiretap.topology/1",
  components: [
    { id: "Worker", kind: "lambda" },
    { id: "Orders", kind: "dynamodb", label: "order lines" },
    { id: "Inbox", kind: "sqs" },
    { id: "Archive", kind: "s3" },
  ],
  connections: [{ source: "Inbox", target: "Worker", role: "event_source" }],
  groups: [],
};

test("a component is announced by id, selection, kind, label, findings and connections", () => {
  assert.equal(describeComponent(catalog, design, "Orders", { selected: true }), "Orders selected, DynamoDB table, labelled order lines");
  assert.equal(describeComponent(catalog, design, "Worker", { badge: { errors: 0, warnings: 1 } }),
    "Worker, Lambda function, 1 warning, 1 connection");
  assert.equal(describeComponent(catalog, design, "Inbox", { badge: { errors: 2, warnings: 3 } }),
    "Inbox, SQS queue, 2 errors, 3 warnings, 1 connection");
  assert.equal(describeComponent(catalog, design, "Gone"), "");
});

test("a target says before Enter what connecting to it would do", () => {
  assert.equal(describeTarget(catalog, design, "Worker", "Orders"), "To Orders, DynamoDB table: Enter connects as request.");
  assert.equal(describeTarget(catalog, design, "Worker", "Inbox"),
    "To Inbox, SQS queue: Enter asks which of request, dead_letter, on_success or on_failure.");
  assert.equal(describeTarget(catalog, design, "Orders", "Inbox"),
    "To Inbox, SQS queue: A DynamoDB table cannot connect to an SQS queue. Valid from a DynamoDB table: " +
    "event_source to Lambda function.");
  assert.equal(describeTarget(catalog, design, "Inbox", "Worker"),
    "To Worker, Lambda function: Inbox is already connected to Worker (event_source).");
});

test("a connection made, a move, an addition and a delete are said in words", () => {
  assert.equal(describeConnected({ source: "Worker", target: "Orders", role: "request" }), "Connected Worker to Orders as request");
  assert.equal(describePosition(["Orders", "Worker"], { Orders: { x: 240.4, y: 130 } }), "Orders at 240, 130");
  assert.equal(describeDropped(["Orders"], true), "Moved Orders.");
  assert.equal(describeDropped(["Orders", "Worker", "Inbox"], false), "Orders and 2 more not moved.");
  assert.equal(describeAdded(catalog, { id: "Table1", kind: "dynamodb" }), "Added Table1, DynamoDB table.");
  assert.equal(describeDeleted({ components: ["Orders"] }), "Deleted Orders. Ctrl+Z brings it back.");
  assert.equal(describeDeleted({ connections: ["Worker>Orders>request"] }),
    "Deleted the connection Worker to Orders (request). Ctrl+Z brings it back.");
  assert.equal(describeDeleted({ components: ["Orders", "Worker"], connections: ["A>B>request", "B>C>request"] }),
    "Deleted Orders, Worker and 2 connections. Ctrl+Z brings them back.");
  assert.equal(describeDeleted({ groups: ["Group1"] }), "Deleted the group Group1 (its members stay). Ctrl+Z brings it back.");
  assert.equal(describeDeleted({ components: ["A", "B", "C", "D"] }), "Deleted 4 components. Ctrl+Z brings them back.");
  assert.equal(describeDeleted({}), "");
});

test("a few ids are named, many are counted", () => {
  assert.equal(someIds(["A"]), "A");
  assert.equal(someIds(["A", "B"]), "A and B");
  assert.equal(someIds(["A", "B", "C"]), "A and 2 more");
});
