import { test } from "node:test";
import assert from "node:assert/strict";

import { DesignModel, ModelError, connectionKeys, emptyDocument } from "../../static/designer/model.js";

function webhook() {
  return {
    format: "wiretap.topology/1",
    name: "Webhook",
    components: [
      { id: "Webhook", kind: "apigateway", position: { x: 0, y: 0 } },
      { id: "Inbox", kind: "sqs", properties: { VisibilityTimeout: 60 } },
      { id: "InboxDLQ", kind: "sqs" },
      { id: "Worker", kind: "lambda", properties: { Timeout: 10 } },
    ],
    connections: [
      { source: "Webhook", target: "Inbox", role: "request" },
      { source: "Inbox", target: "Worker", role: "event_source" },
      { source: "Inbox", target: "InboxDLQ", role: "dead_letter", properties: { maxReceiveCount: 5 } },
    ],
    groups: [{ id: "Ingest", label: "Ingest", members: ["Webhook", "Inbox"] }],
  };
}

test("adding a component is one undoable step", () => {
  const model = new DesignModel(emptyDocument("t"));
  model.apply({ type: "add", components: [{ id: "Function1", kind: "lambda", position: { x: 10.4, y: 20.6 } }] });
  assert.deepEqual(model.document.components, [{ id: "Function1", kind: "lambda", position: { x: 10, y: 21 } }]);
  assert.equal(model.undoLabel, "add Function1");
  model.undo();
  assert.equal(model.document.components.length, 0);
  model.redo();
  assert.equal(model.document.components[0].id, "Function1");
});

test("a duplicate or malformed id is refused and nothing changes", () => {
  const model = new DesignModel(webhook());
  const before = model.document;
  assert.throws(() => model.apply({ type: "add", components: [{ id: "Inbox", kind: "sqs" }] }), ModelError);
  assert.throws(() => model.apply({ type: "add", components: [{ id: "my queue", kind: "sqs" }] }), /Letters/);
  assert.equal(model.document, before);
  assert.equal(model.canUndo, false);
});

test("removing a component removes its connections and its group membership", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "remove", components: ["Inbox"] });
  assert.deepEqual(model.document.components.map((c) => c.id), ["Webhook", "InboxDLQ", "Worker"]);
  assert.deepEqual(model.document.connections, []);
  assert.deepEqual(model.document.groups, [{ id: "Ingest", label: "Ingest", members: ["Webhook"] }]);
  model.undo();
  assert.deepEqual(model.document, webhook());
});

test("removing the last member of a group removes the group", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "remove", components: ["Webhook", "Inbox"] });
  assert.deepEqual(model.document.groups, []);
});

test("renaming a component renames its connections, groups and references to it", () => {
  const document = webhook();
  document.components.push({ id: "Alerts", kind: "sns" });
  document.connections.push({
    source: "Alerts", target: "Inbox", role: "subscription",
    properties: { RedrivePolicy: { deadLetterTargetArn: "InboxDLQ" } },
  });
  const model = new DesignModel(document);
  model.apply({ type: "rename", from: "InboxDLQ", to: "DeadLetters" });
  model.apply({ type: "rename", from: "Inbox", to: "Orders" });
  const connections = model.document.connections;
  assert.deepEqual(connections[1], { source: "Orders", target: "Worker", role: "event_source" });
  assert.equal(connections[2].target, "DeadLetters");
  assert.equal(connections[3].properties.RedrivePolicy.deadLetterTargetArn, "DeadLetters");
  assert.deepEqual(model.document.groups[0].members, ["Webhook", "Orders"]);
  model.undo();
  model.undo();
  assert.deepEqual(model.document, document);
});

test("a rename to an invalid or used id says why", () => {
  const model = new DesignModel(webhook());
  assert.throws(() => model.apply({ type: "rename", from: "Inbox", to: "Worker" }), /already used/);
  assert.throws(() => model.apply({ type: "rename", from: "Inbox", to: "Ingest" }), /already used/);
  assert.throws(() => model.apply({ type: "rename", from: "Inbox", to: "9" }), /letter/);
});

test("moving keeps untouched components as the same objects", () => {
  const model = new DesignModel(webhook());
  const worker = model.document.components[3];
  model.apply({ type: "move", positions: { Inbox: { x: 5, y: 6 } } });
  assert.deepEqual(model.document.components[1].position, { x: 5, y: 6 });
  assert.equal(model.document.components[3], worker);
});

test("connecting twice with the same role is refused", () => {
  const model = new DesignModel(webhook());
  assert.throws(
    () => model.apply({ type: "connect", connection: { source: "Inbox", target: "Worker", role: "event_source" } }),
    /already has a event_source connection/,
  );
  model.apply({ type: "connect", connection: { source: "Worker", target: "InboxDLQ", role: "dead_letter" } });
  assert.equal(model.document.connections.length, 4);
});

test("setting and clearing a property", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "setField", component: "Worker", name: "Timeout", value: 30 });
  assert.deepEqual(model.document.components[3].properties, { Timeout: 30 });
  model.apply({ type: "setField", component: "Worker", name: "Timeout", value: undefined });
  assert.equal("properties" in model.document.components[3], false);
  model.apply({ type: "setField", component: "Worker", section: "behavior", name: "error_rate", value: 0.1 });
  assert.deepEqual(model.document.components[3].behavior, { error_rate: 0.1 });
  model.apply({ type: "setField", connection: "Inbox>InboxDLQ>dead_letter", name: "maxReceiveCount", value: 3 });
  assert.equal(model.document.connections[2].properties.maxReceiveCount, 3);
});

test("grouping moves members out of their former group", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "group", id: "Processing", label: "Processing", members: ["Inbox", "Worker"] });
  assert.deepEqual(model.document.groups, [
    { id: "Ingest", label: "Ingest", members: ["Webhook"] },
    { id: "Processing", label: "Processing", members: ["Inbox", "Worker"] },
  ]);
  model.apply({ type: "renameGroup", id: "Processing", label: "Work" });
  assert.equal(model.document.groups[1].label, "Work");
  model.apply({ type: "ungroup", id: "Ingest" });
  assert.deepEqual(model.document.groups.map((g) => g.id), ["Processing"]);
});

test("a new command after undo drops the redo steps", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "setName", name: "A" });
  model.undo();
  assert.equal(model.canRedo, true);
  model.apply({ type: "setName", name: "B" });
  assert.equal(model.canRedo, false);
});

test("listeners hear every change with its reason; the revision counts them", () => {
  const model = new DesignModel(webhook());
  const reasons = [];
  model.subscribe(({ reason }) => reasons.push(reason));
  model.apply({ type: "setName", name: "A" });
  model.undo();
  model.redo();
  assert.deepEqual(reasons, ["apply", "undo", "redo"]);
  assert.equal(model.revision, 3);
});

test("repeated connections get distinct keys", () => {
  const connection = { source: "A", target: "B", role: "request" };
  assert.deepEqual(connectionKeys([connection, connection]), ["A>B>request", "A>B>request#2"]);
});

test("changing a role drops the old role's properties", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "connect", connection: { source: "Worker", target: "InboxDLQ", role: "on_failure" } });
  model.apply({ type: "setRole", connection: "Inbox>InboxDLQ>dead_letter", role: "event_source" });
  assert.deepEqual(model.document.connections[2], { source: "Inbox", target: "InboxDLQ", role: "event_source" });
  assert.equal(model.undoLabel, "set role event_source");
  assert.equal(model.apply({ type: "setRole", connection: "Inbox>InboxDLQ>event_source", role: "event_source" }), false);
  model.apply({ type: "connect", connection: { source: "Worker", target: "InboxDLQ", role: "dead_letter" } });
  assert.throws(
    () => model.apply({ type: "setRole", connection: "Worker>InboxDLQ>on_failure", role: "dead_letter" }),
    /already has a dead_letter connection/,
  );
});

test("a command's own label names it in the history", () => {
  const model = new DesignModel(webhook());
  model.apply({ type: "move", positions: { Inbox: { x: 1, y: 1 } }, label: "auto-layout" });
  assert.equal(model.undoLabel, "auto-layout");
});
