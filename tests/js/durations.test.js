import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  DEFAULT_SHAPE,
  defaultTitle,
  durationBounds,
  durationError,
  durationProblem,
  durationShapes,
  durationState,
  durationValue,
  isDuration,
  pythonNumber,
  switchShape,
} from "../../static/designer/durations.js";

const catalog = JSON.parse(readFileSync(new URL("./catalog.fixture.json", import.meta.url), "utf8"));
// Values and emulator/values.py's message for each (tests/emulator/test_values.py checks them there).
const { bounds, cases } = JSON.parse(readFileSync(new URL("./durations.fixture.json", import.meta.url), "utf8"));
const behavior = (kind) => catalog.kinds.find((k) => k.name === kind).behavior.properties;
const lambdaDuration = behavior("lambda").duration_ms;
const breakerState = behavior("circuitbreaker").state_ms;

test("a duration's bounds are read from its schema, the ones the shared cases are checked within", () => {
  assert.deepEqual(durationBounds(lambdaDuration), bounds);
});

test("every case gets the emulator's own message, word for word", () => {
  for (const { value, message } of cases) {
    assert.equal(durationError(value, bounds), message, JSON.stringify(value));
  }
});

test("numbers are written as Python writes the number it reads from their JSON", () => {
  assert.equal(pythonNumber(120), "120");
  assert.equal(pythonNumber(0.8), "0.8");
  assert.equal(pythonNumber(-1234567.5), "-1.23457e+06");
  assert.equal(pythonNumber(123456.5), "123456"); // a tie rounds to even, as Python does
  assert.equal(pythonNumber(999999.5), "1e+06");
  assert.equal(pythonNumber(0.0000125), "1.25e-05");
  assert.equal(pythonNumber(1e21), "1e+21");
});

test("every duration of the catalog is recognised, with the emulator's two shapes", () => {
  const durations = catalog.kinds.flatMap((kind) =>
    Object.values(kind.behavior.properties).filter((schema) => isDuration(schema)));
  assert.equal(durations.length, 20);
  assert.equal(isDuration(behavior("lambda").error_rate), false);
  assert.deepEqual(durationShapes(lambdaDuration).map(({ id, title, parts }) => [id, title, parts.map((p) => p.name)]), [
    ["fixed", "Fixed", ["fixed"]],
    ["median_p99", "Median and p99", ["median", "p99"]],
  ]);
  assert.match(durationShapes(lambdaDuration)[1].parts[0].help, /Half the calls/);
});

test("the default is named with its values", () => {
  assert.equal(defaultTitle(lambdaDuration), "Default (median 50, p99 250 ms)");
  assert.equal(defaultTitle(breakerState), "Default (2 ms)");
});

test("a stored value opens in its shape, with the text of each part", () => {
  assert.deepEqual(durationState(lambdaDuration, undefined), { shape: DEFAULT_SHAPE, texts: {} });
  assert.deepEqual(durationState(lambdaDuration, 30), { shape: "fixed", texts: { fixed: "30" } });
  assert.deepEqual(durationState(lambdaDuration, { median: 120, p99: 800 }),
    { shape: "median_p99", texts: { median: "120", p99: "800" } });
});

test("the parts become the same JSON the emulator reads", () => {
  assert.deepEqual(durationValue(lambdaDuration, { shape: "median_p99", texts: { median: " 120 ", p99: "8e2" } }),
    { value: { median: 120, p99: 800 } });
  assert.deepEqual(durationValue(lambdaDuration, { shape: "fixed", texts: { fixed: "2.5" } }), { value: 2.5 });
  assert.deepEqual(durationValue(lambdaDuration, { shape: DEFAULT_SHAPE, texts: { fixed: "9" } }), { value: undefined });
});

test("a part that does not fit gets the emulator's message and is named", () => {
  const distribution = (median, p99) => durationValue(lambdaDuration, { shape: "median_p99", texts: { median, p99 } });
  assert.deepEqual(distribution("120", "50"),
    { error: "p99 (50 ms) must not be below the median (120 ms)", part: "p99" });
  assert.deepEqual(distribution("0", "50"),
    { error: "median must be between 0.001 and 3600000 ms, got 0", part: "median" });
  assert.deepEqual(distribution("120", "4e6"),
    { error: "p99 must be between 0.001 and 3600000 ms, got 4000000", part: "p99" });
  assert.deepEqual(distribution("soon", "50"),
    { error: "needs a number for median (milliseconds), got the string 'soon'", part: "median" });
  assert.deepEqual(distribution("120", ""), { error: "needs a number for p99 (milliseconds)", part: "p99" });
  assert.deepEqual(durationValue(lambdaDuration, { shape: "fixed", texts: { fixed: "-5" } }),
    { error: "must not be negative, got -5", part: "fixed" });
  assert.deepEqual(durationValue(lambdaDuration, { shape: "fixed", texts: { fixed: "" } }),
    { error: "needs a number (milliseconds)", part: "fixed" });
  assert.deepEqual(durationProblem({ median: 1, p99: 2, mean: 3 }),
    { message: "has unknown key 'mean'; a duration takes only median and p99", part: null });
});

test("switching shapes carries what was typed over, else the default", () => {
  const fromDefault = switchShape(lambdaDuration, durationState(lambdaDuration, undefined), "median_p99");
  assert.deepEqual(fromDefault, { shape: "median_p99", texts: { median: "50", p99: "250" } });
  assert.deepEqual(switchShape(lambdaDuration, fromDefault, "fixed").texts.fixed, "50");
  const fromFixed = switchShape(lambdaDuration, durationState(lambdaDuration, 400), "median_p99");
  assert.deepEqual(fromFixed.texts, { fixed: "400", median: "400", p99: "400" });
  assert.deepEqual(durationValue(lambdaDuration, fromFixed), { value: { median: 400, p99: 400 } });
  const breaker = switchShape(breakerState, durationState(breakerState, undefined), "median_p99");
  assert.deepEqual(breaker.texts, { median: "2", p99: "2" });
  assert.throws(() => switchShape(lambdaDuration, fromDefault, "uniform"), /Unknown duration shape uniform/);
});
