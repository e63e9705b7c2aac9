// What the canvas says to a screen reader (its aria-live region) as someone works by keyboard:
// the component reached, what a connection would be, what a move or a delete did.
// DOM-free: tests/js/announce.test.js.

import { findComponent } from "./model.js";
import { connectionChoice, kindTitle } from "./roles.js";

/** "Orders selected, DynamoDB table, 1 warning, 2 connections". */
export function describeComponent(catalog, document, id, { selected = false, badge = null } = {}) {
  const component = findComponent(document, id);
  if (!component) return "";
  const parts = [`${id}${selected ? " selected" : ""}`, kindTitle(catalog, component.kind)];
  if (component.label) parts.push(`labelled ${component.label}`);
  if (badge?.errors) parts.push(count(badge.errors, "error"));
  if (badge?.warnings) parts.push(count(badge.warnings, "warning"));
  const connections = document.connections.filter((c) => c.source === id || c.target === id).length;
  if (connections) parts.push(count(connections, "connection"));
  return parts.join(", ");
}

/** "Connected Worker to Orders as request". */
export function describeConnected({ source, target, role }) {
  return `Connected ${source} to ${target} as ${role}`;
}

/** What choosing `targetId` while connecting from `sourceId` would do, said before Enter. */
export function describeTarget(catalog, document, sourceId, targetId) {
  const source = findComponent(document, sourceId);
  const target = findComponent(document, targetId);
  if (!source || !target) return "";
  const head = `To ${targetId}, ${kindTitle(catalog, target.kind)}`;
  const choice = connectionChoice(catalog, source, target, document.connections);
  if (choice.refusal) return `${head}: ${choice.refusal}`;
  const names = choice.roles.map((role) => role.name);
  if (names.length === 1) return `${head}: Enter connects as ${names[0]}.`;
  return `${head}: Enter asks which of ${joinWords(names, "or")}.`;
}

export function describeConnecting(sourceId) {
  return `Connecting from ${sourceId}: arrow keys or Tab choose the target, Enter connects, Escape cancels.`;
}

export function describeMoving(ids) {
  return `Moving ${someIds(ids)}: arrow keys move, Shift with an arrow moves further, Enter drops, Escape puts back.`;
}

/** "Orders at 240, 130" while moving; the first component stands for the others. */
export function describePosition(ids, positions) {
  const position = positions[ids[0]];
  if (!position) return "";
  return `${ids[0]} at ${Math.round(position.x)}, ${Math.round(position.y)}`;
}

export function describeDropped(ids, moved) {
  return moved ? `Moved ${someIds(ids)}.` : `${someIds(ids)} not moved.`;
}

export function describePutBack(ids) {
  return `${someIds(ids)} put back.`;
}

/** "Deleted Orders and the connection Worker > Orders. Ctrl+Z brings them back." */
export function describeDeleted({ components = [], connections = [], groups = [] }) {
  const parts = components.length <= 3 ? [...components] : [count(components.length, "component")];
  if (connections.length) {
    parts.push(connections.length === 1 ? `the connection ${connectionWords(connections[0])}` : count(connections.length, "connection"));
  }
  if (groups.length && !components.length) parts.push(groups.length === 1 ? `the group ${groups[0]} (its members stay)` : count(groups.length, "group"));
  if (!parts.length) return "";
  const many = components.length + connections.length + groups.length > 1;
  return `Deleted ${joinWords(parts, "and")}. Ctrl+Z brings ${many ? "them" : "it"} back.`;
}

export function describeAdded(catalog, component) {
  return `Added ${component.id}, ${kindTitle(catalog, component.kind)}.`;
}

/** "Orders", "Orders and Worker", "Orders and 2 more". */
export function someIds(ids) {
  if (ids.length <= 2) return joinWords(ids, "and");
  return `${ids[0]} and ${ids.length - 1} more`;
}

function connectionWords(key) {
  const [source, target, role] = key.split(">");
  return `${source} to ${target} (${role.replace(/#\d+$/, "")})`;
}

function joinWords(words, last) {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} ${last} ${words.at(-1)}`;
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
