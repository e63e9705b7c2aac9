// Durations (latency distributions) as form fields: the shapes a duration's schema allows (the
// catalog's oneOf: a fixed number of ms, or median and p99), the text of each part, switching
// shapes, and the value with the emulator's own message when it is not valid.
// DOM-free: tests/js/durations.test.js.
//
// durationError is emulator/values.py's duration_error, message for message: the emulator
// validates the saved design with it, so the form says before saving what the emulator would.
// tests/js/durations.fixture.json holds cases that both tests check, the Python one against
// duration_error and the node one against durationError.

export const DEFAULT_SHAPE = "default";
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Whether a schema is a duration's (emulator/definitions.py `_duration_schema`). */
export function isDuration(schema) {
  return Boolean(schema?.oneOf) && schema["x-unit"] === "ms";
}

/** The shapes: [{id, title, help, parts: [{name, help}]}], "fixed" first as the schema has it. */
export function durationShapes(schema) {
  return schema.oneOf.map((option) => {
    if (option.type === "number") {
      return { id: "fixed", title: option.title || "Fixed", help: option.description || "", parts: [{ name: "fixed", help: "" }] };
    }
    const names = Object.keys(option.properties || {});
    return {
      id: names.join("_"),
      title: option.title || names.join(" and "),
      help: option.description || "",
      parts: names.map((name) => ({ name, help: option.properties[name].description || "" })),
    };
  });
}

/** "Default (median 50, p99 250 ms)", "Default (2 ms)": what applies when the field is not set. */
export function defaultTitle(schema) {
  const value = schema.default;
  if (typeof value === "number") return `Default (${value} ms)`;
  if (value && typeof value === "object") {
    return `Default (${Object.entries(value).map(([name, part]) => `${name} ${part}`).join(", ")} ms)`;
  }
  return "Default";
}

/** The form's state for a stored value: {shape, texts: {part: text}}, "" where nothing is typed. */
export function durationState(schema, value) {
  const shapes = durationShapes(schema);
  if (value === undefined || value === null) return { shape: DEFAULT_SHAPE, texts: {} };
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const shape = shapes.find((s) => s.id !== "fixed") || shapes[0];
    const texts = Object.fromEntries(Object.entries(value).map(([name, part]) => [name, textOf(part)]));
    return { shape: shape.id, texts };
  }
  return { shape: "fixed", texts: { fixed: textOf(value) } };
}

/**
 * The state after choosing `shape`: a part keeps what was typed in it, else takes what was typed
 * in its counterpart (a fixed value becomes the median, the median the fixed value), else the
 * default's. A p99 nobody typed is the default's, or the median when that would be below it.
 */
export function switchShape(schema, state, shape) {
  if (shape === DEFAULT_SHAPE) return { shape, texts: { ...state.texts } };
  const target = durationShapes(schema).find((s) => s.id === shape);
  if (!target) throw new Error(`Unknown duration shape ${shape}.`);
  const typed = nonEmpty(state.texts);
  const defaults = defaultTexts(schema);
  const texts = { ...state.texts };
  if (shape === "fixed") {
    texts.fixed = typed.fixed ?? typed.median ?? defaults.fixed ?? defaults.median ?? "";
    return { shape, texts };
  }
  for (const { name } of target.parts) texts[name] = typed[name] ?? defaults[name] ?? "";
  texts.median = typed.median ?? typed.fixed ?? defaults.median ?? defaults.fixed ?? "";
  if (typed.p99 === undefined) {
    texts.p99 = Number(defaults.p99) >= Number(texts.median) ? defaults.p99 : texts.median;
  }
  return { shape, texts };
}

/**
 * The value of a state: {value} (undefined: not set, the default applies) or {error, part}, the
 * emulator's message and the part it is about (null: the whole field).
 */
export function durationValue(schema, state) {
  if (state.shape === DEFAULT_SHAPE) return { value: undefined };
  const shape = durationShapes(schema).find((s) => s.id === state.shape);
  if (!shape) return { error: `Unknown duration shape ${state.shape}.`, part: null };
  for (const { name } of shape.parts) {
    if (String(state.texts[name] ?? "").trim() === "") {
      return { error: shape.id === "fixed" ? "needs a number (milliseconds)" : `needs a number for ${name} (milliseconds)`, part: name };
    }
  }
  const value = shape.id === "fixed"
    ? parsePart(state.texts.fixed)
    : Object.fromEntries(shape.parts.map(({ name }) => [name, parsePart(state.texts[name])]));
  const problem = durationProblem(value, durationBounds(schema));
  return problem ? { error: problem.message, part: problem.part } : { value };
}

/** A number typed in a part, or the text itself when it is not one (the emulator then says so). */
function parsePart(text) {
  const trimmed = String(text ?? "").trim();
  if (!NUMBER.test(trimmed)) return trimmed;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

/** The bounds a duration's schema gives (emulator/definitions.py `_duration_schema`). */
export function durationBounds(schema) {
  const fixed = schema?.oneOf?.find((option) => option.type === "number") || {};
  const parts = schema?.oneOf?.find((option) => option.type === "object")?.properties || {};
  return { maximum: fixed.maximum ?? Infinity, minimumPart: parts.median?.minimum ?? 0 };
}

/** {message, part} for a value the emulator refuses, else null. */
export function durationProblem(value, bounds) {
  const message = durationError(value, bounds);
  if (!message) return null;
  const named = message.match(/^(?:needs a number for |)(median|p99)\b/);
  if (named) return { message, part: named[1] };
  return { message, part: typeof value === "number" ? "fixed" : null };
}

/** emulator/values.py duration_error: why a duration value is refused (the first reason), or null. */
export function durationError(value, { maximum = Infinity, minimumPart = 0 } = {}) {
  const shapeMessage = `must be milliseconds (a number) or {"median": m, "p99": p}, got ${describe(value)}`;
  if (typeof value === "boolean") return shapeMessage;
  if (typeof value === "number") {
    if (value < 0) return `must not be negative, got ${describe(value)}`;
    if (value > maximum) return `must be at most ${pythonNumber(maximum)} ms, got ${describe(value)}`;
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return shapeMessage;
  const extra = Object.keys(value).find((name) => name !== "median" && name !== "p99");
  if (extra !== undefined) return `has unknown key ${pythonRepr(extra)}; a duration takes only median and p99`;
  for (const name of ["median", "p99"]) {
    const part = value[name];
    if (typeof part !== "number") return `needs a number for ${name} (milliseconds), got ${describe(part)}`;
    if (!(minimumPart <= part && part <= maximum)) {
      return `${name} must be between ${pythonNumber(minimumPart)} and ${pythonNumber(maximum)} ms, got ${describe(part)}`;
    }
  }
  const { median, p99 } = value;
  if (p99 < median) {
    return `p99 (${pythonNumber(p99)} ms) must not be below the median (${pythonNumber(median)} ms)`;
  }
  return null;
}

// --- Python's words for values -----------------------------------------------------------------

/** emulator/values.py describe, for the values a duration check describes. */
function describe(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") {
    const characters = [...value]; // Python slices code points
    return `the string ${pythonRepr(characters.slice(0, 60).join(""))}${characters.length > 60 ? "..." : ""}`;
  }
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return pythonNumber(value);
}

/**
 * emulator/values.py _number of the number Python reads from this value's JSON: an integer
 * (JSON without a fraction or exponent, as JSON.stringify writes whole numbers below 1e21) as
 * itself, anything else as `format(x, "g")`.
 */
export function pythonNumber(value) {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  return formatG(value);
}

// Python's "%g": 6 significant digits (ties to even, as Python rounds the exact binary value),
// fixed notation for exponents from -4 to 5, trailing zeros dropped.
function formatG(value) {
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const sign = value < 0 ? "-" : "";
  const [digits, exponent] = roundedDigits(Math.abs(value));
  if (exponent < -4 || exponent >= 6) {
    const mantissa = stripZeros(`${digits[0]}.${digits.slice(1)}`);
    const power = Math.abs(exponent).toString().padStart(2, "0");
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${power}`;
  }
  if (exponent < 0) return sign + stripZeros(`0.${"0".repeat(-exponent - 1)}${digits}`);
  return sign + stripZeros(`${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`);
}

/** The 6 significant digits of a positive number and the exponent of the first one. */
function roundedDigits(value) {
  const [mantissa, power] = value.toExponential(30).split("e");
  const all = mantissa.replace(".", "");
  let digits = all.slice(0, 6);
  let exponent = Number(power);
  const rest = all.slice(6);
  const tie = /^50*$/.test(rest);
  const up = rest[0] > "5" || (rest[0] === "5" && !tie) || (tie && Number(digits.at(-1)) % 2 === 1);
  if (up) {
    const bumped = String(Number(digits) + 1);
    if (bumped.length > 6) {
      digits = bumped.slice(0, 6);
      exponent += 1;
    } else {
      digits = bumped;
    }
  }
  return [digits, exponent];
}

function stripZeros(text) {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** Python's repr of a string: single quotes, unless it holds one and no double quote. */
function pythonRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = "";
  for (const char of text) {
    const code = char.codePointAt(0);
    if (char === "\\" || char === quote) body += `\\${char}`;
    else if (char === "\n") body += "\\n";
    else if (char === "\r") body += "\\r";
    else if (char === "\t") body += "\\t";
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, "0")}`;
    else body += char;
  }
  return `${quote}${body}${quote}`;
}

// --- Texts -----------------------------------------------------------------------------------------

function textOf(part) {
  if (typeof part === "number") return String(part);
  if (typeof part === "string") return part;
  return JSON.stringify(part);
}

function defaultTexts(schema) {
  const value = schema.default;
  if (typeof value === "number") return { fixed: String(value) };
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, part]) => [name, String(part)]));
  }
  return {};
}

function nonEmpty(texts) {
  return Object.fromEntries(Object.entries(texts).filter(([, text]) => String(text ?? "").trim() !== ""));
}
