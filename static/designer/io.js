// Import and export of topology documents, and copy/paste of a selection.
// DOM-free: tests/js/io.test.js.

import { copyId } from "./ids.js";
import { FORMAT, normalize, takenIds } from "./model.js";

/**
 * Read an imported file's text: {document} when the canvas can show it, else {error}.
 * Only the shape is checked here (what the server would refuse with 400, plus what the canvas
 * needs: unique string ids, connections between them); the rest comes back as findings.
 */
export function parseImport(text) {
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { error: `The file is not JSON: ${error.message}` };
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return { error: "The file is not a topology: it must be a JSON object." };
  }
  if (document.format !== FORMAT) {
    return { error: `The file is not a topology: "format" must be "${FORMAT}", got ${JSON.stringify(document.format)}.` };
  }
  for (const name of ["components", "connections", "groups"]) {
    if (document[name] !== undefined && !Array.isArray(document[name])) {
      return { error: `"${name}" must be an array.` };
    }
  }
  const ids = new Set();
  for (const [index, component] of (document.components || []).entries()) {
    if (!component || typeof component.id !== "string" || typeof component.kind !== "string") {
      return { error: `Component ${index + 1} needs a string "id" and "kind".` };
    }
    if (ids.has(component.id)) return { error: `Two components have the id ${component.id}.` };
    ids.add(component.id);
  }
  for (const [index, connection] of (document.connections || []).entries()) {
    if (!connection || !ids.has(connection.source) || !ids.has(connection.target)) {
      return { error: `Connection ${index + 1} must join two components of the file (source and target ids).` };
    }
    if (typeof connection.role !== "string") return { error: `Connection ${index + 1} needs a "role".` };
  }
  for (const [index, group] of (document.groups || []).entries()) {
    if (!group || typeof group.id !== "string" || !Array.isArray(group.members)) {
      return { error: `Group ${index + 1} needs an "id" and a "members" array.` };
    }
    if (ids.has(group.id)) return { error: `The group id ${group.id} is also a component id.` };
  }
  return { document: normalize(document) };
}

/** The exported file: the document as saved, pretty-printed, and a file name from its name. */
export function exportFile(document) {
  const base = (document.name || "topology").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "topology";
  return { name: `${base}.topology.json`, text: `${JSON.stringify(document, null, 2)}\n` };
}

/** The part of the document a copy takes: the components and the connections among them. */
export function copySelection(document, ids) {
  const chosen = new Set(ids);
  return {
    components: document.components.filter((component) => chosen.has(component.id)),
    connections: document.connections.filter(
      (connection) => chosen.has(connection.source) && chosen.has(connection.target),
    ),
  };
}

/**
 * An "add" command pasting a copied fragment with fresh ids (Worker -> Worker1), shifted by
 * `offset` so the copies do not hide the originals.
 */
export function pasteCommand(document, fragment, offset = { x: 40, y: 40 }) {
  const taken = takenIds(document);
  const renamed = new Map();
  for (const component of fragment.components) {
    const id = copyId(component.id, taken);
    taken.add(id);
    renamed.set(component.id, id);
  }
  const components = fragment.components.map((component) => ({
    ...structuredClone(component),
    id: renamed.get(component.id),
    position: {
      x: (component.position?.x ?? 0) + offset.x,
      y: (component.position?.y ?? 0) + offset.y,
    },
  }));
  const connections = fragment.connections.map((connection) => ({
    ...structuredClone(connection),
    source: renamed.get(connection.source),
    target: renamed.get(connection.target),
  }));
  return { command: { type: "add", components, connections }, ids: components.map((c) => c.id) };
}
