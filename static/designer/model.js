// The design being edited: a wiretap.topology/1 document (formats.md section 1) and the
// commands that change it, with undo/redo. This is the source of truth; the canvas and the
// panels render from it and change it only through `apply`. DOM-free: tests/js/model.test.js.
//
// Documents are never mutated: each command builds a new document that shares the untouched
// components and connections with the old one, so history is a list of documents and the
// canvas finds what changed by comparing object identity.

import { ID_PATTERN, idProblem } from "./ids.js";

export const FORMAT = "wiretap.topology/1";

export class ModelError extends Error {}

export function emptyDocument(name = "") {
  return { format: FORMAT, name, components: [], connections: [], groups: [] };
}

/** A stable key per connection ("Inbox>Worker>event_source"); repeats get "#2", "#3"... */
export function connectionKeys(connections) {
  const seen = new Map();
  return connections.map((connection) => {
    const base = `${connection.source}>${connection.target}>${connection.role}`;
    const count = (seen.get(base) || 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}#${count}`;
  });
}

export function componentIds(document) {
  return new Set(document.components.map((component) => component.id));
}

/** Every id in use: components and groups share one namespace on the canvas. */
export function takenIds(document) {
  const taken = componentIds(document);
  for (const group of document.groups || []) taken.add(group.id);
  return taken;
}

export function findComponent(document, id) {
  return document.components.find((component) => component.id === id) || null;
}

export function findConnection(document, key) {
  const index = connectionKeys(document.connections).indexOf(key);
  return index === -1 ? null : document.connections[index];
}

export function groupOf(document, componentId) {
  return (document.groups || []).find((group) => (group.members || []).includes(componentId)) || null;
}

// --- Commands ---------------------------------------------------------------------------------
// Each takes the current document and the command, and returns the new document (or throws a
// ModelError whose message a person can act on).

const COMMANDS = {
  add(document, { components = [], connections = [] }) {
    const taken = takenIds(document);
    for (const component of components) {
      const problem = idProblem(component.id, taken);
      if (problem) throw new ModelError(problem);
      taken.add(component.id);
    }
    const result = { ...document, components: [...document.components, ...components.map(tidyComponent)] };
    const ids = componentIds(result);
    for (const connection of connections) requireEnds(connection, ids);
    result.connections = [...document.connections, ...connections];
    return result;
  },

  remove(document, { components = [], connections = [], groups = [] }) {
    const removedIds = new Set(components);
    const removedKeys = new Set(connections);
    const keys = connectionKeys(document.connections);
    const kept = document.connections.filter(
      (connection, index) =>
        !removedKeys.has(keys[index]) && !removedIds.has(connection.source) && !removedIds.has(connection.target),
    );
    const removedGroups = new Set(groups);
    return withGroups(
      {
        ...document,
        components: document.components.filter((component) => !removedIds.has(component.id)),
        connections: kept,
      },
      (document.groups || [])
        .filter((group) => !removedGroups.has(group.id))
        .map((group) => withMembers(group, group.members.filter((id) => !removedIds.has(id)))),
    );
  },

  move(document, { positions }) {
    return {
      ...document,
      components: document.components.map((component) => {
        const position = positions[component.id];
        if (!position) return component;
        return { ...component, position: { x: Math.round(position.x), y: Math.round(position.y) } };
      }),
    };
  },

  rename(document, { from, to }) {
    if (!findComponent(document, from)) throw new ModelError(`There is no component ${from}.`);
    if (from === to) return document;
    const problem = idProblem(to, takenIds(document), from);
    if (problem) throw new ModelError(problem);
    const rename = (id) => (id === from ? to : id);
    return withGroups(
      {
        ...document,
        components: document.components.map((component) =>
          component.id === from ? { ...component, id: to } : component,
        ),
        connections: document.connections.map((connection) =>
          connection.source === from || connection.target === from || mentions(connection, from)
            ? renameInConnection(connection, rename)
            : connection,
        ),
      },
      (document.groups || []).map((group) =>
        group.members.includes(from) ? withMembers(group, group.members.map(rename)) : group,
      ),
    );
  },

  connect(document, { connection }) {
    requireEnds(connection, componentIds(document));
    const key = `${connection.source}>${connection.target}>${connection.role}`;
    if (connectionKeys(document.connections).includes(key)) {
      throw new ModelError(
        `${connection.source} already has a ${connection.role} connection to ${connection.target}.`,
      );
    }
    return { ...document, connections: [...document.connections, connection] };
  },

  setField(document, { component, connection, section = "properties", name, value }) {
    if (component !== undefined) {
      if (!findComponent(document, component)) throw new ModelError(`There is no component ${component}.`);
      return {
        ...document,
        components: document.components.map((item) =>
          item.id === component ? withField(item, section, name, value) : item,
        ),
      };
    }
    const keys = connectionKeys(document.connections);
    const index = keys.indexOf(connection);
    if (index === -1) throw new ModelError(`There is no connection ${connection}.`);
    const connections = [...document.connections];
    connections[index] = withField(connections[index], "properties", name, value);
    return { ...document, connections };
  },

  // A different role has different properties: the old ones are dropped with the old role.
  setRole(document, { connection, role }) {
    const index = connectionKeys(document.connections).indexOf(connection);
    if (index === -1) throw new ModelError(`There is no connection ${connection}.`);
    const { source, target } = document.connections[index];
    if (document.connections[index].role === role) return document;
    const key = `${source}>${target}>${role}`;
    if (connectionKeys(document.connections).includes(key)) {
      throw new ModelError(`${source} already has a ${role} connection to ${target}.`);
    }
    const connections = [...document.connections];
    connections[index] = { source, target, role };
    return { ...document, connections };
  },

  setLabel(document, { component, label }) {
    return {
      ...document,
      components: document.components.map((item) => {
        if (item.id !== component) return item;
        const { label: _old, ...rest } = item;
        return label ? { ...rest, label } : rest;
      }),
    };
  },

  group(document, { id, label = "", members }) {
    const problem = idProblem(id, takenIds(document));
    if (problem) throw new ModelError(problem);
    const ids = componentIds(document);
    const chosen = members.filter((member) => ids.has(member));
    if (chosen.length === 0) throw new ModelError("Select the components to group first.");
    const others = (document.groups || []).map((group) =>
      withMembers(group, group.members.filter((member) => !chosen.includes(member))),
    );
    return withGroups(document, [...others, { id, label, members: chosen }]);
  },

  ungroup(document, { id }) {
    return withGroups(document, (document.groups || []).filter((group) => group.id !== id));
  },

  renameGroup(document, { id, label }) {
    return withGroups(
      document,
      (document.groups || []).map((group) => (group.id === id ? { ...group, label } : group)),
    );
  },

  setName(document, { name }) {
    return { ...document, name };
  },

  replace(document, { document: replacement }) {
    return replacement;
  },
};

function tidyComponent(component) {
  if (!component.position) return component;
  return { ...component, position: { x: Math.round(component.position.x), y: Math.round(component.position.y) } };
}

function requireEnds(connection, ids) {
  for (const end of ["source", "target"]) {
    if (!ids.has(connection[end])) throw new ModelError(`The ${end} ${connection[end]} is not a component.`);
  }
}

function withField(item, section, name, value) {
  const values = { ...(item[section] || {}) };
  if (value === undefined) delete values[name];
  else values[name] = value;
  const result = { ...item, [section]: values };
  if (Object.keys(values).length === 0) delete result[section];
  return result;
}

function withMembers(group, members) {
  return { ...group, members };
}

// Groups left without members disappear: an empty compound node is only clutter.
function withGroups(document, groups) {
  return { ...document, groups: groups.filter((group) => group.members.length > 0) };
}

// Properties that name another component (a dead-letter queue, a failure destination).
function mentions(connection, id) {
  const properties = connection.properties || {};
  const destination = properties.DestinationConfig?.OnFailure;
  return (
    properties.RedrivePolicy?.deadLetterTargetArn === id ||
    properties.DeadLetterConfig === id ||
    destination === id ||
    destination?.Destination === id
  );
}

function renameInConnection(connection, rename) {
  const result = { ...connection, source: rename(connection.source), target: rename(connection.target) };
  if (!connection.properties) return result;
  const properties = { ...connection.properties };
  if (properties.RedrivePolicy?.deadLetterTargetArn !== undefined) {
    properties.RedrivePolicy = {
      ...properties.RedrivePolicy,
      deadLetterTargetArn: rename(properties.RedrivePolicy.deadLetterTargetArn),
    };
  }
  if (typeof properties.DeadLetterConfig === "string") properties.DeadLetterConfig = rename(properties.DeadLetterConfig);
  const onFailure = properties.DestinationConfig?.OnFailure;
  if (onFailure !== undefined) {
    const renamed =
      typeof onFailure === "string" ? rename(onFailure) : { ...onFailure, Destination: rename(onFailure.Destination) };
    properties.DestinationConfig = { ...properties.DestinationConfig, OnFailure: renamed };
  }
  result.properties = properties;
  return result;
}

/** A short description of a command, for the undo/redo buttons' titles. */
export function describeCommand(command) {
  if (command.label) return command.label;
  switch (command.type) {
    case "add": {
      const ids = (command.components || []).map((component) => component.id);
      return ids.length === 1 ? `add ${ids[0]}` : `add ${ids.length} components`;
    }
    case "remove":
      return "delete";
    case "move":
      return "move";
    case "rename":
      return `rename ${command.from} to ${command.to}`;
    case "connect":
      return `connect ${command.connection.source} to ${command.connection.target}`;
    case "setField":
      return `set ${command.name}`;
    case "setLabel":
      return "set label";
    case "group":
      return `group ${command.id}`;
    case "ungroup":
      return `ungroup ${command.id}`;
    case "renameGroup":
      return "rename group";
    case "setName":
      return "rename design";
    case "setRole":
      return `set role ${command.role}`;
    case "replace":
      return "replace the design";
    default:
      return command.type;
  }
}

export function applyCommand(document, command) {
  const run = COMMANDS[command.type];
  if (!run) throw new ModelError(`Unknown command ${command.type}.`);
  return run(document, command);
}

// --- The model with its history ---------------------------------------------------------------

export class DesignModel {
  constructor(document, { historyLimit = 500 } = {}) {
    this.document = normalize(document);
    this.past = [];
    this.future = [];
    this.historyLimit = historyLimit;
    // Counts every change (apply, undo, redo); autosave compares it with the saved one.
    this.revision = 0;
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Apply a command as one undoable step; throws ModelError and changes nothing when invalid. */
  apply(command) {
    const next = applyCommand(this.document, command);
    if (next === this.document) return false;
    this.past.push({ document: this.document, label: describeCommand(command) });
    if (this.past.length > this.historyLimit) this.past.shift();
    this.future = [];
    this.change(next, "apply", command);
    return true;
  }

  undo() {
    const step = this.past.pop();
    if (!step) return false;
    this.future.push({ document: this.document, label: step.label });
    this.change(step.document, "undo", null);
    return true;
  }

  redo() {
    const step = this.future.pop();
    if (!step) return false;
    this.past.push({ document: this.document, label: step.label });
    this.change(step.document, "redo", null);
    return true;
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  get undoLabel() {
    return this.past.at(-1)?.label || "";
  }

  get redoLabel() {
    return this.future.at(-1)?.label || "";
  }

  change(document, reason, command) {
    const previous = this.document;
    this.document = document;
    this.revision += 1;
    for (const listener of this.listeners) listener({ document, previous, reason, command });
  }
}

/** Fill the optional arrays so the rest of the code need not check for them. */
export function normalize(document) {
  return {
    ...document,
    format: document.format || FORMAT,
    components: document.components || [],
    connections: document.connections || [],
    groups: document.groups || [],
  };
}

export { ID_PATTERN };
