// From a catalog JSON Schema (emulator/definitions.py Field.json_schema) to the fields of the
// side panel's form, and from what a person typed back to a value, with the message to show
// when it is not valid. DOM-free: tests/js/schema-form.test.js.
//
// An empty input means "not set": the property is left out and AWS's default applies, which
// the input shows as its placeholder. A duration is a group of fields (durations.js).

import { defaultTitle, durationBounds, durationError, durationShapes, durationState, isDuration } from "./durations.js";

/** The form fields for an object schema and the current values. */
export function describeFields(schema, values = {}, applies = () => true) {
  return Object.entries(schema?.properties || {})
    .filter(([name]) => applies(name))
    .map(([name, property]) => describeField(name, property, values[name]));
}

export function describeField(name, schema, value) {
  const field = {
    name,
    schema,
    control: controlFor(schema),
    help: schema.description || "",
    unit: schema["x-unit"] || "",
    minimum: schema.minimum,
    maximum: schema.maximum,
    options: schema.enum ? schema.enum.map(String) : null,
    placeholder: placeholderFor(schema),
    text: textOf(value, schema),
  };
  if (field.control === "duration") {
    field.shapes = durationShapes(schema);
    field.defaultTitle = defaultTitle(schema);
    field.duration = durationState(schema, value);
  }
  return field;
}

function controlFor(schema) {
  if (isDuration(schema)) return "duration";
  if (schema.enum) return "select";
  switch (schema.type) {
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "string":
      return "text";
    default:
      return "json";
  }
}

function placeholderFor(schema) {
  if (schema.default === undefined || schema.default === null) return "not set";
  return `default ${formatValue(schema.default)}`;
}

export function formatValue(value) {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The text an input shows for a value ("" when not set). */
export function textOf(value, schema = {}) {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object" && !schema.oneOf) return JSON.stringify(value, null, 2);
  return JSON.stringify(value);
}

/**
 * Parse what was typed: {value} (undefined = not set) or {error: message}.
 * The message names what is valid, e.g. "Must be between 0 and 43200 seconds."
 */
export function parseInput(field, text) {
  const trimmed = String(text ?? "").trim();
  if (trimmed === "") return { value: undefined };
  let value;
  switch (field.control) {
    case "number":
      value = Number(trimmed);
      if (!Number.isFinite(value)) return { error: "Must be a number." };
      break;
    case "boolean":
      if (trimmed !== "true" && trimmed !== "false") return { error: "Must be true or false." };
      value = trimmed === "true";
      break;
    case "select":
    case "text":
      value = trimmed;
      break;
    default:
      value = parseJson(trimmed);
      if (value instanceof JsonProblem) return { error: value.message };
  }
  const error = validateValue(field.schema, value);
  return error ? { error } : { value };
}

class JsonProblem {
  constructor(message) {
    this.message = message;
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return new JsonProblem(`Not valid JSON: ${error.message.replace(/^JSON\.parse: /, "")}`);
  }
}

/**
 * Why `value` does not fit the schema, or null. Covers what the catalog's schemas use: types,
 * ranges, enums, sizes, patterns, and nested objects and arrays (emulator.values checks the same).
 */
export function validateValue(schema, value) {
  if (isDuration(schema)) return durationError(value, durationBounds(schema));
  if (schema.oneOf) {
    const errors = schema.oneOf.map((option) => validateValue(option, value));
    return errors.some((error) => error === null) ? null : errors[0];
  }
  const unit = schema["x-unit"] ? ` ${schema["x-unit"]}` : "";
  switch (schema.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return "Must be a whole number.";
      return rangeError(schema, value, unit);
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return "Must be a number.";
      return rangeError(schema, value, unit);
    case "boolean":
      return typeof value === "boolean" ? null : "Must be true or false.";
    case "string":
      if (typeof value !== "string") return "Must be text.";
      if (schema.enum && !schema.enum.includes(value)) return `Must be one of ${schema.enum.join(", ")}.`;
      return sizeError(schema.minLength, schema.maxLength, value.length, "characters") || patternError(schema, value);
    case "array":
      if (!Array.isArray(value)) return "Must be a JSON array, e.g. [\"value\"].";
      return sizeError(schema.minItems, schema.maxItems, value.length, "items") || itemsError(schema, value);
    case "object":
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return "Must be a JSON object, e.g. {\"key\": \"value\"}.";
      }
      return objectError(schema, value);
    default:
      return null;
  }
}

function sizeError(minimum, maximum, size, what) {
  if (minimum !== undefined && size < minimum) return size === 0 ? "Must not be empty." : `Needs at least ${minimum} ${what}.`;
  if (maximum !== undefined && size > maximum) return `Takes at most ${maximum} ${what}.`;
  return null;
}

function patternError(schema, value) {
  if (schema.pattern === undefined || new RegExp(schema.pattern).test(value)) return null;
  return `Must match ${schema.pattern}.`;
}

function itemsError(schema, value) {
  if (!schema.items) return null;
  for (const [index, item] of value.entries()) {
    const error = validateValue(schema.items, item);
    if (error) return `Item ${index + 1}: ${error}`;
  }
  return null;
}

function rangeError(schema, value, unit) {
  const { minimum, maximum, exclusiveMinimum } = schema;
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) {
    return maximum !== undefined ? `Must be above ${exclusiveMinimum} and at most ${maximum}${unit}.`
      : `Must be above ${exclusiveMinimum}${unit}.`;
  }
  if (minimum !== undefined && maximum !== undefined && (value < minimum || value > maximum)) {
    return `Must be between ${minimum} and ${maximum}${unit}.`;
  }
  if (minimum !== undefined && value < minimum) return `Must be at least ${minimum}${unit}.`;
  if (maximum !== undefined && value > maximum) return `Must be at most ${maximum}${unit}.`;
  return null;
}

function objectError(schema, value) {
  for (const name of schema.required || []) {
    if (!(name in value)) return `Needs "${name}".`;
  }
  for (const [name, item] of Object.entries(value)) {
    const property = schema.properties?.[name] ??
      (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (!property) {
      if (schema.additionalProperties === false) return `Unknown key "${name}".`;
      continue;
    }
    const error = validateValue(property, item);
    if (error) return `${name}: ${error}`;
  }
  return null;
}
