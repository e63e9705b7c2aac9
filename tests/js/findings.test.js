import { test } from "node:test";
import assert from "node:assert/strict";

import { countBySeverity, locate, placeFindings } from "../../static/designer/findings.js";

const document = {
  format: "wiretap.topology/1",
  components: [{ id: "Inbox", kind: "sqs" }, { id: "Worker", kind: "lambda" }],
  connections: [{ source: "Inbox", target: "Worker", role: "event_source" }],
  groups: [{ id: "Ingest", members: ["Inbox"] }],
};

const warning = (pointer) => ({ severity: "warning", pointer, message: "m" });
const error = (pointer) => ({ severity: "error", pointer, message: "m" });

test("pointers resolve to components, connections, groups and the document", () => {
  assert.deepEqual(locate(warning("/components/0/properties/VisibilityTimeout"), document),
    { type: "component", id: "Inbox", field: "properties/VisibilityTimeout" });
  assert.deepEqual(locate(warning("/components/1"), document), { type: "component", id: "Worker", field: "" });
  assert.deepEqual(locate(error("/connections/0/role"), document),
    { type: "connection", key: "Inbox>Worker>event_source", field: "role" });
  assert.deepEqual(locate(error("/groups/0/members/0"), document), { type: "group", id: "Ingest", field: "members/0" });
  assert.deepEqual(locate(error("/name"), document), { type: "document", field: "name" });
  assert.deepEqual(locate(error(""), document), { type: "document", field: "" });
  assert.deepEqual(locate(error("/components/7/id"), document), { type: "document", field: "components/7/id" });
});

test("escaped pointer parts are read back", () => {
  assert.equal(locate(error("/components/0/properties/a~1b~0c"), document).field, "properties/a/b~c");
});

test("badges count errors and warnings per component; errors are listed first", () => {
  const problems = [warning("/components/0"), error("/components/0/properties/X"), warning("/connections/0")];
  const { items, badges } = placeFindings(problems, document);
  assert.equal(items[0].problem.severity, "error");
  assert.deepEqual(badges.get("component:Inbox"), { errors: 1, warnings: 1 });
  assert.deepEqual(badges.get("connection:Inbox>Worker>event_source"), { errors: 0, warnings: 1 });
  assert.deepEqual(countBySeverity(problems), { errors: 1, warnings: 2 });
});
