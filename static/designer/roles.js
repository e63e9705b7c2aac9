// Which connection roles may join two kinds, from the catalog's role pairs, and the message that
// explains a refusal. DOM-free: tests/js/roles.test.js.

const ASYNC_ROLES = new Set(["event", "subscription", "rule", "event_source", "notification", "delivery"]);
const FAILURE_ROLES = new Set(["dead_letter", "on_failure"]);

/** The canvas classes of a connection with `role`: dashed when asynchronous, red where failures go
 * (the designer's and the run view's canvases draw connections alike). */
export function connectionClasses(role) {
  return [ASYNC_ROLES.has(role) ? "async" : "", FAILURE_ROLES.has(role) ? "failure" : ""].filter(Boolean).join(" ");
}

/** The roles valid from `sourceKind` to `targetKind`, in catalog order. */
export function rolesBetween(catalog, sourceKind, targetKind) {
  return catalog.roles.filter((role) =>
    role.pairs.some(([source, target]) => source === sourceKind && target === targetKind),
  );
}

export function kindTitle(catalog, kindName) {
  return catalog.kinds.find((kind) => kind.name === kindName)?.title || kindName;
}

/** "an SQS queue", "a Lambda function": AWS names are read letter by letter. */
export function withArticle(title) {
  return /^([AEIOU]|SQS|SNS|RDS|S3|HTTP|X-Ray)/i.test(title) && !/^(Use|Uni)/i.test(title)
    ? `an ${title}`
    : `a ${title}`;
}

/**
 * What drawing a connection from `source` to `target` (components {id, kind}) may do:
 * {roles: [role, ...]} to pick from (one means no question), or {refusal: "why not"}.
 * `existing` are the document's connections, so a duplicate role is never offered.
 */
export function connectionChoice(catalog, source, target, existing = []) {
  const valid = rolesBetween(catalog, source.kind, target.kind);
  if (valid.length === 0) return { roles: [], refusal: refusal(catalog, source.kind, target.kind) };
  const used = new Set(
    existing.filter((c) => c.source === source.id && c.target === target.id).map((c) => c.role),
  );
  const roles = valid.filter((role) => !used.has(role.name));
  if (roles.length === 0) {
    const names = valid.map((role) => role.name).join(" and ");
    return { roles, refusal: `${source.id} is already connected to ${target.id} (${names}).` };
  }
  return { roles, refusal: null };
}

/** Why no connection may go from one kind to another, and what would be valid instead. */
export function refusal(catalog, sourceKind, targetKind) {
  const source = kindTitle(catalog, sourceKind);
  const target = kindTitle(catalog, targetKind);
  const head = `${capitalize(withArticle(source))} cannot connect to ${withArticle(target)}`;
  const outgoing = [];
  for (const role of catalog.roles) {
    const targets = role.pairs.filter(([s]) => s === sourceKind).map(([, t]) => kindTitle(catalog, t));
    if (targets.length) outgoing.push(`${role.name} to ${targets.join(", ")}`);
  }
  if (outgoing.length === 0) return `${head}: nothing starts from ${withArticle(source)}; it only receives.`;
  return `${head}. Valid from ${withArticle(source)}: ${outgoing.join("; ")}.`;
}

/** Whether a role property applies between these kinds (catalog `property_pairs`). */
export function rolePropertyApplies(role, name, sourceKind, targetKind) {
  const pairs = role.property_pairs?.[name];
  if (!pairs) return true;
  return pairs.some(([source, target]) => source === sourceKind && target === targetKind);
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
