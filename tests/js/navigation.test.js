import { test } from "node:test";
import assert from "node:assert/strict";

import {
  LARGE_MOVE_STEP,
  MOVE_STEP,
  directionOfKey,
  moveStep,
  movedPositions,
  nearestInDirection,
  nextInReadingOrder,
  placesOf,
  readingOrder,
} from "../../static/designer/navigation.js";

// Api -> Inbox -> Worker on one row (Worker drawn a little lower), a DLQ under the queue and a
// table under the function, as auto-layout draws a small design.
const places = placesOf({
  Worker: { x: 500, y: 110 },
  Api: { x: 100, y: 100 },
  InboxDLQ: { x: 300, y: 260 },
  Inbox: { x: 300, y: 100 },
  Orders: { x: 500, y: 250 },
});

test("reading order goes by rows from the top, each row from the left, a slightly lower one in the same row", () => {
  assert.deepEqual(readingOrder(places), ["Api", "Inbox", "Worker", "InboxDLQ", "Orders"]);
});

test("Tab's order stops at either end unless asked to wrap, and starts at an end from nothing", () => {
  assert.equal(nextInReadingOrder(places, "Inbox"), "Worker");
  assert.equal(nextInReadingOrder(places, "InboxDLQ", -1), "Worker");
  assert.equal(nextInReadingOrder(places, "Orders"), null);
  assert.equal(nextInReadingOrder(places, "Api", -1), null);
  assert.equal(nextInReadingOrder(places, "Orders", 1, { wrap: true }), "Api");
  assert.equal(nextInReadingOrder(places, "Api", -1, { wrap: true }), "Orders");
  assert.equal(nextInReadingOrder(places, null), "Api");
  assert.equal(nextInReadingOrder(places, "Gone", -1), "Orders");
  assert.equal(nextInReadingOrder([], null), null);
});

test("an arrow reaches the nearest component that way, the one in line before one aside", () => {
  assert.equal(nearestInDirection(places, "Api", "right"), "Inbox");
  assert.equal(nearestInDirection(places, "Inbox", "right"), "Worker");
  assert.equal(nearestInDirection(places, "Inbox", "down"), "InboxDLQ");
  assert.equal(nearestInDirection(places, "Orders", "up"), "Worker");
  assert.equal(nearestInDirection(places, "Orders", "left"), "InboxDLQ");
  assert.equal(nearestInDirection(places, "Worker", "left"), "Inbox");
});

test("nothing lies beyond the edge, nor more than 45 degrees aside", () => {
  assert.equal(nearestInDirection(places, "Api", "left"), null);
  assert.equal(nearestInDirection(places, "Api", "up"), null);
  // InboxDLQ is 200 right and 160 down of Api: within 45 degrees of right, not of down.
  assert.equal(nearestInDirection(placesOf({ Api: { x: 100, y: 100 }, InboxDLQ: { x: 300, y: 260 } }), "Api", "down"), null);
  assert.equal(nearestInDirection(placesOf({ Api: { x: 100, y: 100 }, InboxDLQ: { x: 300, y: 260 } }), "Api", "right"), "InboxDLQ");
  assert.equal(nearestInDirection(places, "Unknown", "right"), null);
});

test("two components as near as each other are reached in reading order", () => {
  const even = placesOf({ From: { x: 0, y: 0 }, Lower: { x: 100, y: 20 }, Upper: { x: 100, y: -20 } });
  assert.equal(nearestInDirection(even, "From", "right"), "Upper");
});

test("arrow keys name their direction, other keys none", () => {
  assert.equal(directionOfKey("ArrowLeft"), "left");
  assert.equal(directionOfKey("ArrowDown"), "down");
  assert.equal(directionOfKey("Enter"), null);
});

test("an arrow moves by the small step, with Shift by the large one", () => {
  assert.equal(MOVE_STEP, 10);
  assert.equal(LARGE_MOVE_STEP, 50);
  assert.deepEqual(moveStep("right"), { dx: 10, dy: 0 });
  assert.deepEqual(moveStep("up"), { dx: 0, dy: -10 });
  assert.deepEqual(moveStep("left", true), { dx: -50, dy: 0 });
  assert.deepEqual(moveStep("down", true), { dx: 0, dy: 50 });
  assert.throws(() => moveStep("sideways"), /Unknown direction sideways/);
});

test("moving shifts only the chosen components, onto whole pixels", () => {
  const positions = { Api: { x: 100.4, y: 100 }, Inbox: { x: 300, y: 100.6 }, Worker: { x: 500, y: 110 } };
  assert.deepEqual(movedPositions(positions, ["Api", "Inbox", "Missing"], { dx: 10, dy: -50 }), {
    Api: { x: 110, y: 50 },
    Inbox: { x: 310, y: 51 },
  });
});
