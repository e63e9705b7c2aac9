import { test } from "node:test";
import assert from "node:assert/strict";

import { copyId, idProblem, newComponentId } from "../../static/designer/ids.js";

test("a new component gets the kind's name and the first free number", () => {
  assert.equal(newComponentId("lambda", new Set()), "Function1");
  assert.equal(newComponentId("lambda", new Set(["Function1", "Function3"])), "Function2");
  assert.equal(newComponentId("sqs", new Set()), "Queue1");
  assert.equal(newComponentId("kinesis", new Set()), "Stream1");
});

test("an unknown kind still gets a valid CloudFormation id", () => {
  assert.equal(newComponentId("new-kind", new Set()), "Newkind1");
});

test("a copy keeps the original's name with a new number", () => {
  assert.equal(copyId("Worker", new Set(["Worker"])), "Worker1");
  assert.equal(copyId("Function1", new Set(["Function1"])), "Function2");
});

test("ids follow the CloudFormation logical id rule", () => {
  const taken = new Set(["Inbox"]);
  assert.equal(idProblem("Orders", taken), null);
  assert.match(idProblem("", taken), /required/);
  assert.match(idProblem("1Queue", taken), /starts with a letter/);
  assert.match(idProblem("my-queue", taken), /Letters and digits/);
  assert.match(idProblem("A".repeat(65), taken), /64/);
  assert.match(idProblem("Inbox", taken), /already used/);
  assert.equal(idProblem("Inbox", taken, "Inbox"), null);
});
