// The side panel's form fields: one per schema field (schema-form.js describes it and parses
// what was typed; a duration is a group of fields, durations.js), plain text fields, and the
// notes of findings under them. Each shows a value that does not fit inline and commits only a
// valid one.

import { h } from "./dom.js";
import { DEFAULT_SHAPE, durationValue, switchShape } from "./durations.js";
import { parseInput } from "./schema-form.js";

export function findingNote(problem) {
  const severity = problem.severity === "warning" ? "warning" : "error";
  return h("p", { className: `field-finding ${severity}` },
    problem.message, problem.fix ? h("br") : null, problem.fix || null);
}

export function schemaField(field, commit, key, findings) {
  if (field.control === "duration") return durationField(field, commit, key, findings);
  const inputId = `field-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
  const error = h("p", { className: "error", id: `${inputId}-error`, hidden: true });
  const wrapper = h("div", { className: "form-field", dataset: { field: field.name } });
  const input = controlFor(field, inputId, key);
  const show = (message) => {
    error.textContent = message || "";
    error.hidden = !message;
    wrapper.classList.toggle("invalid", Boolean(message));
    input.setAttribute("aria-invalid", message ? "true" : "false");
  };
  input.dataset.rendered = field.text;
  const read = () => parseInput(field, input.value);
  input.addEventListener("input", () => {
    const result = read();
    show(result.error);
  });
  input.addEventListener("change", () => {
    if (!input.isConnected) return;
    const result = read();
    show(result.error);
    if (result.error) return;
    const message = commit(field.name, result.value);
    if (message) show(message);
    else input.dataset.rendered = input.value; // committed: no longer a half-typed value
  });
  input.setAttribute("aria-describedby", `${inputId}-help ${inputId}-error`);
  const range = rangeText(field);
  wrapper.append(
    h("label", { for: inputId }, field.name, h("span", { className: "unit" }, [field.unit, range].filter(Boolean).join(" · "))),
    input,
    error,
    ...findings.map(({ problem }) => findingNote(problem)),
    h("p", { className: "help", id: `${inputId}-help` }, field.help),
  );
  return wrapper;
}

// A duration: its shape (the default, fixed, or median and p99) and a number field per part, in
// ms, checked as they are typed with the emulator's messages; the value is committed when a part
// is left or a shape chosen.
function durationField(field, commit, key, findings) {
  const baseId = `field-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
  let state = field.duration;
  let inputs = {};
  const error = h("p", { className: "error", id: `${baseId}-error`, hidden: true, "aria-live": "polite" });
  const wrapper = h("fieldset", { className: "form-field duration", dataset: { field: field.name } });
  const shapeSelect = h("select", {
    id: `${baseId}-shape`,
    dataset: { fieldKey: `${key}/shape`, rendered: state.shape },
    "aria-describedby": `${baseId}-help ${baseId}-error`,
  },
  h("option", { value: DEFAULT_SHAPE, selected: state.shape === DEFAULT_SHAPE }, field.defaultTitle),
  field.shapes.map((shape) => h("option", { value: shape.id, selected: shape.id === state.shape }, shape.title)));
  const parts = h("div", { className: "duration-parts" });
  // The emulator's message with the field's name in front, as `emulator validate` prints it.
  const show = ({ error: message, part }, prefixed = true) => {
    error.textContent = message ? (prefixed ? `${field.name} ${message}` : message) : "";
    error.hidden = !message;
    wrapper.classList.toggle("invalid", Boolean(message));
    for (const [name, input] of Object.entries(inputs)) {
      input.setAttribute("aria-invalid", String(Boolean(message) && (part === name || part === null)));
    }
  };
  const save = () => {
    const result = durationValue(field.schema, state);
    show(result);
    if (result.error) return;
    const message = commit(field.name, result.value);
    if (message) show({ error: message, part: null }, false);
    else for (const input of Object.values(inputs)) input.dataset.rendered = input.value;
  };
  const partInput = (shape, part) => {
    const id = `${baseId}-${part.name}`;
    const help = part.help || shape.help;
    const input = h("input", {
      id, type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
      dataset: { fieldKey: `${key}/${part.name}` },
      "aria-describedby": [help ? `${id}-help` : "", `${baseId}-error`].filter(Boolean).join(" "),
    });
    input.value = state.texts[part.name] ?? "";
    input.dataset.rendered = input.value;
    input.addEventListener("input", () => {
      state = { ...state, texts: { ...state.texts, [part.name]: input.value } };
      show(durationValue(field.schema, state));
    });
    input.addEventListener("change", () => {
      if (input.isConnected) save();
    });
    inputs[part.name] = input;
    return h("div", { className: "duration-part" },
      h("label", { for: id }, part.name, h("span", { className: "unit" }, "ms")),
      input,
      help ? h("p", { className: "help", id: `${id}-help` }, help) : null);
  };
  const drawParts = () => {
    const shape = field.shapes.find((s) => s.id === state.shape);
    inputs = {};
    parts.replaceChildren(...(shape ? shape.parts.map((part) => partInput(shape, part)) : []));
    parts.hidden = !shape;
  };
  shapeSelect.addEventListener("change", () => {
    state = switchShape(field.schema, state, shapeSelect.value);
    shapeSelect.dataset.rendered = state.shape;
    drawParts();
    save();
  });
  drawParts();
  wrapper.append(
    h("legend", {}, field.name, h("span", { className: "unit" }, "ms")),
    h("label", { for: shapeSelect.id, className: "visually-hidden" }, `${field.name} shape`),
    shapeSelect,
    parts,
    error,
    ...findings.map(({ problem }) => findingNote(problem)),
    h("p", { className: "help", id: `${baseId}-help` }, field.help),
  );
  return wrapper;
}

function rangeText(field) {
  if (field.minimum !== undefined && field.maximum !== undefined) return `${field.minimum}–${field.maximum}`;
  if (field.minimum !== undefined) return `≥ ${field.minimum}`;
  return "";
}

function controlFor(field, id, key) {
  const common = { id, name: field.name, dataset: { fieldKey: key } };
  if (field.control === "select" || field.control === "boolean") {
    const options = field.control === "boolean" ? ["true", "false"] : field.options;
    return h("select", common,
      h("option", { value: "" }, field.placeholder === "not set" ? "not set" : field.placeholder),
      options.map((option) => h("option", { value: option, selected: option === field.text }, option)));
  }
  if (field.control === "json") {
    const area = h("textarea", { ...common, rows: 3, placeholder: field.placeholder, spellcheck: "false" });
    area.value = field.text;
    return area;
  }
  const input = h("input", {
    ...common,
    type: "text",
    inputmode: field.control === "number" ? "decimal" : null,
    placeholder: field.placeholder,
    autocomplete: "off",
    spellcheck: "false",
  });
  input.value = field.text;
  return input;
}

export function textField({ key, label, help, value, placeholder, check = () => null, commit }) {
  const inputId = `field-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
  const input = h("input", { id: inputId, type: "text", placeholder, autocomplete: "off", spellcheck: "false", dataset: { fieldKey: key } });
  input.value = value;
  input.dataset.rendered = value;
  const error = h("p", { className: "error", hidden: true });
  const wrapper = h("div", { className: "form-field" });
  const show = (message) => {
    error.textContent = message || "";
    error.hidden = !message;
    wrapper.classList.toggle("invalid", Boolean(message));
    input.setAttribute("aria-invalid", message ? "true" : "false");
  };
  input.addEventListener("input", () => show(check(input.value)));
  input.addEventListener("change", () => {
    if (!input.isConnected) return;
    const problem = check(input.value);
    show(problem);
    if (problem) return;
    const message = commit(input.value);
    show(message);
    if (!message) input.dataset.rendered = input.value;
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      input.value = value;
      show(null);
    }
  });
  wrapper.append(h("label", { for: inputId }, label), input, error, h("p", { className: "help" }, help));
  return wrapper;
}
