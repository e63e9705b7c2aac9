// Findings (emulator.problems.Problem as JSON) placed on the design: a problem's JSON pointer
// (/components/3/properties/Timeout, /connections/1/role) is resolved against the document it
// was computed for, so badges stay on the right component after later edits.
// DOM-free: tests/js/findings.test.js.

import { connectionKeys } from "./model.js";

/**
 * Where a problem points: {type: "component", id, field}, {type: "connection", key, field},
 * {type: "group", id} or {type: "document"}. `field` is the property path inside, or "".
 */
export function locate(problem, document) {
  const parts = (problem.pointer || "").split("/").slice(1).map(unescape);
  const [collection, indexText, ...rest] = parts;
  const index = Number(indexText);
  const field = rest.join("/");
  if (collection === "components" && Number.isInteger(index)) {
    const component = document.components[index];
    if (component && typeof component.id === "string") return { type: "component", id: component.id, field };
  }
  if (collection === "connections" && Number.isInteger(index) && document.connections[index]) {
    return { type: "connection", key: connectionKeys(document.connections)[index], field };
  }
  if (collection === "groups" && Number.isInteger(index) && document.groups?.[index]) {
    return { type: "group", id: document.groups[index].id, field };
  }
  return { type: "document", field: parts.join("/") };
}

function unescape(part) {
  return part.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * The problems with their places, errors first, and the badge of each component and connection:
 * {items: [{problem, place}], badges: Map("component:Id" | "connection:key" -> {errors, warnings})}.
 */
export function placeFindings(problems, document) {
  const items = problems
    .map((problem) => ({ problem, place: locate(problem, document) }))
    .sort((a, b) => severityRank(a.problem) - severityRank(b.problem));
  const badges = new Map();
  for (const { problem, place } of items) {
    const key = badgeKey(place);
    if (!key) continue;
    const badge = badges.get(key) || { errors: 0, warnings: 0 };
    if (problem.severity === "warning") badge.warnings += 1;
    else badge.errors += 1;
    badges.set(key, badge);
  }
  return { items, badges };
}

export function badgeKey(place) {
  if (place.type === "component") return `component:${place.id}`;
  if (place.type === "connection") return `connection:${place.key}`;
  if (place.type === "group") return `group:${place.id}`;
  return null;
}

function severityRank(problem) {
  return problem.severity === "warning" ? 1 : 0;
}

export function countBySeverity(problems) {
  let errors = 0;
  let warnings = 0;
  for (const problem of problems) {
    if (problem.severity === "warning") warnings += 1;
    else errors += 1;
  }
  return { errors, warnings };
}
