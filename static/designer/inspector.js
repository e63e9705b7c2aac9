// The side panel's Properties tab: a form for the selected component, connection or group,
// generated from the catalog's JSON Schemas (schema-form.js). Every change is one model
// command; a value that does not fit the schema is shown inline and not applied.

import { h } from "./dom.js";
import { findingNote, schemaField, textField } from "./fields.js";
import { idProblem } from "./ids.js";
import { connectionKeys, findComponent, takenIds } from "./model.js";
import { connectionChoice, kindTitle, rolePropertyApplies } from "./roles.js";
import { describeFields } from "./schema-form.js";

/**
 * Render the inspector. `context`: {document, selection, catalog, findings (placed items),
 * apply(command) -> error message or null, actions: {group(), ungroup(id), remove(), select(sel),
 * open(sel): select and focus the form}}.
 */
export function renderInspector(container, context) {
  // Never rebuild the form under a field being typed in (findings arrive after each save): the
  // half-typed value would be lost. The form is rebuilt when the focus leaves it.
  const active = document.activeElement;
  const typing = active?.matches?.("input, textarea") && container.contains(active);
  if (typing && active.dataset.fieldKey && active.value !== active.dataset.rendered) {
    container.pendingContext = context;
    if (!container.dataset.waitsForFocusout) {
      container.dataset.waitsForFocusout = "yes";
      container.addEventListener("focusout", () => setTimeout(() => {
        const pending = container.pendingContext;
        container.pendingContext = null;
        if (pending && !container.contains(document.activeElement)) renderInspector(container, pending);
      }, 0));
    }
    return;
  }
  container.pendingContext = null;
  const { selection } = context;
  const total = selection.components.length + selection.connections.length + selection.groups.length;
  let content;
  if (total === 0) content = designOverview(context);
  else if (total > 1) content = multipleSelection(context);
  else if (selection.components.length) content = componentForm(context, selection.components[0]);
  else if (selection.connections.length) content = connectionForm(context, selection.connections[0]);
  else content = groupForm(context, selection.groups[0]);
  const focused = focusKey(container);
  container.replaceChildren(h("div", { className: "inspector" }, content));
  restoreFocus(container, focused);
}

function focusKey(container) {
  const active = document.activeElement;
  if (!active || !container.contains(active) || !active.dataset.fieldKey) return null;
  return { key: active.dataset.fieldKey, start: active.selectionStart, end: active.selectionEnd };
}

function restoreFocus(container, focused) {
  if (!focused) return;
  const element = container.querySelector(`[data-field-key="${CSS.escape(focused.key)}"]`);
  if (!element) return;
  element.focus();
  if (typeof focused.start === "number" && element.setSelectionRange) {
    try {
      element.setSelectionRange(focused.start, focused.end);
    } catch {
      // Selects have no text selection.
    }
  }
}

function designOverview({ document }) {
  return [
    h("p", { className: "overview" },
      `${document.components.length} components, ${document.connections.length} connections. ` +
      "Select a component or a connection to edit it."),
    h("ul", { className: "shortcuts" },
      h("li", {}, "Drag from the palette to add; drag the dot on a component's right edge to connect."),
      h("li", {}, h("kbd", {}, "Shift"), "+drag on the canvas: box select; ", h("kbd", {}, "Shift"), "+click: add to the selection."),
      h("li", {}, h("kbd", {}, "Delete"), " removes the selection; ", h("kbd", {}, "Ctrl+C"), " / ", h("kbd", {}, "Ctrl+V"), " copy and paste."),
      h("li", {}, h("kbd", {}, "Ctrl+Z"), " undo, ", h("kbd", {}, "Ctrl+Shift+Z"), " or ", h("kbd", {}, "Ctrl+Y"), " redo; ", h("kbd", {}, "Ctrl+S"), " saves now."),
      h("li", {}, h("kbd", {}, "F"), " fit, ", h("kbd", {}, "L"), " auto-layout, ", h("kbd", {}, "G"), " group the selection, ", h("kbd", {}, "Ctrl+A"), " select all, ", h("kbd", {}, "/"), " search the palette."),
      h("li", {}, "On the canvas: arrow keys or ", h("kbd", {}, "Tab"), " go to a component, ", h("kbd", {}, "Space"),
        " adds it to the selection, ", h("kbd", {}, "M"), " moves it, ", h("kbd", {}, "C"), " connects it, ",
        h("kbd", {}, "Enter"), " edits it here (", h("kbd", {}, "Escape"), " goes back)."),
    ),
  ];
}

function multipleSelection({ selection, actions }) {
  const parts = [];
  if (selection.components.length) parts.push(`${selection.components.length} components`);
  if (selection.connections.length) parts.push(`${selection.connections.length} connections`);
  if (selection.groups.length) parts.push(`${selection.groups.length} groups`);
  return [
    h("p", {}, `Selected: ${parts.join(", ")}.`),
    h("div", { className: "actions" },
      selection.components.length ? h("button", { type: "button", onClick: () => actions.group() }, "Group them") : null,
      h("button", { type: "button", className: "danger", onClick: () => actions.remove() }, "Delete"),
    ),
  ];
}

// --- Component --------------------------------------------------------------------------------

function componentForm(context, id) {
  const { document, catalog, apply } = context;
  const component = findComponent(document, id);
  if (!component) return designOverview(context);
  const kind = catalog.kinds.find((k) => k.name === component.kind);
  const findings = findingsFor(context, (place) => place.type === "component" && place.id === id);
  const head = h("div", { className: "inspector-head" },
    kind ? h("img", { src: kind.icon, alt: "" }) : null,
    h("div", {},
      h("div", { className: "title" }, component.id),
      h("div", { className: "kind" }, kind ? `${kind.title}${kind.cloudformation_type ? ` · ${kind.cloudformation_type}` : ""}` : `unknown kind ${component.kind}`)),
  );
  const idField = textField({
    key: `${id}/id`,
    label: "Id",
    help: "The logical id (letters and digits, starts with a letter); connections follow a rename.",
    value: component.id,
    check: (text) => idProblem(text, takenIds(document), component.id),
    commit: (text) => apply({ type: "rename", from: component.id, to: text }),
  });
  const labelField = textField({
    key: `${id}/label`,
    label: "Label",
    help: "Optional words shown after the id on the canvas.",
    value: component.label || "",
    placeholder: "none",
    commit: (text) => apply({ type: "setLabel", component: component.id, label: text.trim() }),
  });
  const sections = [];
  if (kind) {
    sections.push(schemaSection(context, "Properties", kind.properties, component.properties,
      (name, value) => apply({ type: "setField", component: id, section: "properties", name, value }),
      `${id}/properties`, findings, "properties"));
    sections.push(schemaSection(context, "Behavior in the emulator", kind.behavior, component.behavior,
      (name, value) => apply({ type: "setField", component: id, section: "behavior", name, value }),
      `${id}/behavior`, findings, "behavior"));
  }
  return [
    head,
    kind ? h("p", { className: "description" }, kind.description) : null,
    generalFindings(findings),
    idField,
    labelField,
    connectionList(context, id),
    ...sections,
    h("div", { className: "actions" },
      h("button", { type: "button", className: "danger", dataset: { fieldKey: `${id}/delete` },
        onClick: () => context.actions.remove() }, "Delete component")),
  ];
}

// Each of the component's connections, to open its form: the keyboard's way to a connection.
function connectionList({ document, actions }, id) {
  const keys = connectionKeys(document.connections);
  const items = document.connections.flatMap((connection, index) => {
    if (connection.source !== id && connection.target !== id) return [];
    const outgoing = connection.source === id;
    const other = outgoing ? connection.target : connection.source;
    return [h("li", {}, h("button", {
      type: "button",
      className: "connection-link",
      // A key, so that the focus comes back to it when findings rebuild the form.
      dataset: { fieldKey: `${id}/connections/${keys[index]}` },
      onClick: () => actions.open({ connections: [keys[index]] }),
    }, `${outgoing ? "to" : "from"} ${other} · ${connection.role}`))];
  });
  if (!items.length) return null;
  return h("section", {}, h("h3", {}, "Connections"), h("ul", { className: "connection-list" }, items));
}

// --- Connection -------------------------------------------------------------------------------

function connectionForm(context, key) {
  const { document, catalog, apply } = context;
  const index = connectionKeys(document.connections).indexOf(key);
  const connection = document.connections[index];
  if (!connection) return designOverview(context);
  const source = findComponent(document, connection.source);
  const target = findComponent(document, connection.target);
  const role = catalog.roles.find((r) => r.name === connection.role);
  const findings = findingsFor(context, (place) => place.type === "connection" && place.key === key);
  const others = document.connections.filter((_, i) => i !== index);
  const choice = source && target ? connectionChoice(catalog, source, target, others) : { roles: [] };
  const roleNames = choice.roles.map((r) => r.name);
  if (!roleNames.includes(connection.role)) roleNames.unshift(connection.role);
  const roleSelect = h("select", {
    id: "field-role",
    dataset: { fieldKey: `${key}/role` },
    onChange: (event) => apply({ type: "setRole", connection: key, role: event.target.value }),
  }, roleNames.map((name) => h("option", { value: name, selected: name === connection.role }, name)));
  const sections = [];
  if (role && source && target) {
    sections.push(schemaSection(context, "Properties", role.properties, connection.properties,
      (name, value) => apply({ type: "setField", connection: key, name, value }),
      `${key}/properties`, findings, "properties",
      (name) => rolePropertyApplies(role, name, source.kind, target.kind)));
  }
  return [
    h("div", { className: "inspector-head" },
      h("div", {},
        h("div", { className: "title" }, `${connection.source} → ${connection.target}`),
        h("div", { className: "kind" },
          `${kindTitle(catalog, source?.kind)} to ${kindTitle(catalog, target?.kind)}`))),
    generalFindings(findings.filter((item) => !item.place.field.startsWith("properties/"))),
    h("div", { className: "form-field" },
      h("label", { for: "field-role" }, "Role"),
      roleSelect,
      h("p", { className: "help" }, role ? role.description : `Unknown role ${connection.role}.`),
      roleNames.length > 1 ? h("p", { className: "help" }, "Changing the role clears the connection's properties.") : null),
    ...sections,
    h("div", { className: "actions" },
      h("button", { type: "button", className: "danger", dataset: { fieldKey: `${key}/delete` },
        onClick: () => context.actions.remove() }, "Delete connection")),
  ];
}

// --- Group ------------------------------------------------------------------------------------

function groupForm(context, id) {
  const group = context.document.groups.find((g) => g.id === id);
  if (!group) return designOverview(context);
  return [
    h("div", { className: "inspector-head" }, h("div", {},
      h("div", { className: "title" }, group.label || group.id),
      h("div", { className: "kind" }, `Group ${group.id} · ${group.members.length} components`))),
    textField({
      key: `group:${id}/label`,
      label: "Label",
      help: "The name shown above the group (layout only: the emulator ignores groups).",
      value: group.label || "",
      placeholder: group.id,
      commit: (text) => context.apply({ type: "renameGroup", id, label: text.trim() }),
    }),
    h("p", { className: "help" }, `Members: ${group.members.join(", ")}`),
    h("div", { className: "actions" },
      h("button", { type: "button", onClick: () => context.actions.ungroup(id) }, "Ungroup"),
      h("button", { type: "button", onClick: () => context.actions.select({ components: group.members }) }, "Select members")),
  ];
}

// --- Sections ---------------------------------------------------------------------------------

function findingsFor(context, predicate) {
  return context.findings.filter((item) => predicate(item.place));
}

function generalFindings(findings) {
  const general = findings.filter((item) => !/^(properties|behavior)\//.test(item.place.field));
  if (!general.length) return null;
  return h("div", {}, general.map(({ problem }) => findingNote(problem)));
}

function schemaSection(context, title, schema, values, commit, keyPrefix, findings, section, applies) {
  const fields = describeFields(schema, values || {}, applies);
  if (!fields.length) return null;
  return h("section", {},
    h("h3", {}, title),
    fields.map((field) => schemaField(field, commit, `${keyPrefix}/${field.name}`,
      findings.filter((item) => item.place.field === `${section}/${field.name}` ||
        item.place.field.startsWith(`${section}/${field.name}/`)))));
}
