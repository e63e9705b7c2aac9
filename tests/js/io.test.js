import { test } from "node:test";
import assert from "node:assert/strict";

import { copySelection, exportFile, parseImport, pasteCommand } from "../../static/designer/io.js";
import { DesignModel } from "../../static/designer/model.js";

const design = {
  format: "wiretap.topology/1",
  name: "Scalable webhook",
  components: [
    { id: "Inbox", kind: "sqs", position: { x: 10, y: 10 } },
    { id: "Worker", kind: "lambda", position: { x: 200, y: 10 }, properties: { Timeout: 5 } },
    { id: "Orders", kind: "rds", position: { x: 400, y: 10 } },
  ],
  connections: [
    { source: "Inbox", target: "Worker", role: "event_source" },
    { source: "Worker", target: "Orders", role: "request" },
  ],
  groups: [],
};

test("a topology file is imported", () => {
  const { document, error } = parseImport(JSON.stringify(design));
  assert.equal(error, undefined);
  assert.deepEqual(document, design);
});

test("what is not a topology is refused with the reason", () => {
  assert.match(parseImport("{nope").error, /not JSON/);
  assert.match(parseImport("[]").error, /JSON object/);
  assert.match(parseImport('{"format": "wiretap.workload/1"}').error, /"format" must be "wiretap.topology\/1"/);
  assert.match(parseImport('{"format": "wiretap.topology/1", "components": {}}').error, /"components" must be an array/);
  const twice = { ...design, components: [design.components[0], design.components[0]] };
  assert.match(parseImport(JSON.stringify(twice)).error, /Two components have the id Inbox/);
  const dangling = { ...design, connections: [{ source: "Inbox", target: "Nobody", role: "request" }] };
  assert.match(parseImport(JSON.stringify(dangling)).error, /Connection 1 must join two components/);
});

test("missing arrays are filled in", () => {
  const { document } = parseImport('{"format": "wiretap.topology/1", "components": []}');
  assert.deepEqual(document.connections, []);
  assert.deepEqual(document.groups, []);
});

test("the export is the document with a file name from its name", () => {
  const file = exportFile(design);
  assert.equal(file.name, "Scalable-webhook.topology.json");
  assert.deepEqual(JSON.parse(file.text), design);
});

test("paste adds copies with new ids and the connections between the copied components", () => {
  const fragment = copySelection(design, ["Worker", "Orders"]);
  assert.equal(fragment.connections.length, 1);
  const model = new DesignModel(design);
  const { command, ids } = pasteCommand(model.document, fragment);
  model.apply(command);
  assert.deepEqual(ids, ["Worker1", "Orders1"]);
  const worker = model.document.components.find((c) => c.id === "Worker1");
  assert.deepEqual(worker.position, { x: 240, y: 50 });
  assert.deepEqual(worker.properties, { Timeout: 5 });
  assert.deepEqual(model.document.connections.at(-1), { source: "Worker1", target: "Orders1", role: "request" });
  const again = pasteCommand(model.document, fragment);
  assert.deepEqual(again.ids, ["Worker2", "Orders2"]);
});
