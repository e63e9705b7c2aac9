import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { connectionChoice, connectionClasses, refusal, rolePropertyApplies, withArticle } from "../../static/designer/roles.js";

const catalog = JSON.parse(readFileSync(new URL("./catalog.fixture.json", import.meta.url), "utf8"));
const component = (id, kind) => ({ id, kind });

test("the only valid role is chosen without a question", () => {
  const choice = connectionChoice(catalog, component("Inbox", "sqs"), component("Worker", "lambda"));
  assert.deepEqual(choice.roles.map((r) => r.name), ["event_source"]);
  assert.equal(choice.refusal, null);
});

test("several valid roles are offered in catalog order", () => {
  const choice = connectionChoice(catalog, component("A", "lambda"), component("B", "sqs"));
  assert.deepEqual(choice.roles.map((r) => r.name), ["request", "dead_letter", "on_success", "on_failure"]);
});

test("an invalid pair is refused with what is valid from the source", () => {
  const choice = connectionChoice(catalog, component("Inbox", "sqs"), component("Api", "apigateway"));
  assert.deepEqual(choice.roles, []);
  assert.equal(
    choice.refusal,
    "An SQS queue cannot connect to an API Gateway. Valid from an SQS queue: " +
      "event_source to Lambda function; dead_letter to SQS queue.",
  );
});

test("a kind nothing starts from says it only receives", () => {
  assert.match(refusal(catalog, "rds", "lambda"), /nothing starts from an RDS database; it only receives/);
});

test("a role already drawn between the two is not offered again", () => {
  const existing = [{ source: "Inbox", target: "Worker", role: "event_source" }];
  const choice = connectionChoice(catalog, component("Inbox", "sqs"), component("Worker", "lambda"), existing);
  assert.match(choice.refusal, /already connected to Worker \(event_source\)/);
  const twice = connectionChoice(catalog, component("A", "lambda"), component("B", "sqs"),
    [{ source: "A", target: "B", role: "request" }]);
  assert.deepEqual(twice.roles.map((r) => r.name), ["dead_letter", "on_success", "on_failure"]);
});

test("role properties limited to some pairs", () => {
  const deadLetter = catalog.roles.find((r) => r.name === "dead_letter");
  assert.equal(rolePropertyApplies(deadLetter, "maxReceiveCount", "sqs", "sqs"), true);
  assert.equal(rolePropertyApplies(deadLetter, "maxReceiveCount", "lambda", "sqs"), false);
});

test("articles follow how AWS names are read", () => {
  assert.equal(withArticle("SQS queue"), "an SQS queue");
  assert.equal(withArticle("Lambda function"), "a Lambda function");
  assert.equal(withArticle("API Gateway"), "an API Gateway");
  assert.equal(withArticle("DynamoDB table"), "a DynamoDB table");
});

test("connection classes: asynchronous roles dashed, failure roles red, synchronous plain", () => {
  assert.equal(connectionClasses("event_source"), "async");
  assert.equal(connectionClasses("dead_letter"), "failure");
  assert.equal(connectionClasses("request"), "");
});
