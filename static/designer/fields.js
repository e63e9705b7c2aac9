// The side panel's form fields: one per schema field (schema-form.js describes it and parses
// what was typed), plain text fields, and the notes of findings under them. Each shows a value
// that does not fit inline and commits only a valid one.

import { h } from "./dom.js";
import { parseInput } from "./schema-form.js";

export function findingNote(problem) {
  const severity = problem.severity === "warning" ? "warning" : "error";
  return h("p", { className: `field-finding ${severity}` },
    problem.message, problem.fix ? h("br") : null, problem.fix || null);
}

export function schemaField(field, commit, key, findings) {
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
