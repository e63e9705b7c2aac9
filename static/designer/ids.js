// Component and group ids: CloudFormation logical ids (formats.md section 1), unique in a
// document. DOM-free; tested in tests/js/ids.test.js.

export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

// The name a new component of each kind starts from, as a person would write it in a template.
const BASE_NAMES = {
  client: "Client",
  apigateway: "Api",
  lambda: "Function",
  sqs: "Queue",
  sns: "Topic",
  dynamodb: "Table",
  rds: "Database",
  eventbridge: "EventBus",
  kinesis: "Stream",
  firehose: "DeliveryStream",
  s3: "Bucket",
  stepfunctions: "StateMachine",
  elasticache: "Cache",
  http: "HttpApi",
};

export function baseName(kind) {
  if (BASE_NAMES[kind]) return BASE_NAMES[kind];
  const letters = String(kind).replace(/[^A-Za-z0-9]/g, "");
  const name = letters.charAt(0).toUpperCase() + letters.slice(1);
  return ID_PATTERN.test(name) ? name : "Component";
}

/** The first free id `<base><n>` (n = 1, 2, ...), e.g. Function1, Function2. */
export function numberedId(base, taken) {
  const stem = base.replace(/[0-9]+$/, "").slice(0, 58) || "Component";
  for (let n = 1; ; n += 1) {
    const id = `${stem}${n}`;
    if (!taken.has(id)) return id;
  }
}

/** A new id for a component of this kind. */
export function newComponentId(kind, taken) {
  return numberedId(baseName(kind), taken);
}

/** The id of a pasted copy: the original's name with the next free number (Worker -> Worker1). */
export function copyId(original, taken) {
  return numberedId(original, taken);
}

/** Why `id` cannot be used, or null when it can. `current` is the id being renamed, if any. */
export function idProblem(id, taken, current = null) {
  if (typeof id !== "string" || id === "") return "An id is required.";
  if (!/^[A-Za-z]/.test(id)) return "An id starts with a letter (a CloudFormation logical id).";
  if (/[^A-Za-z0-9]/.test(id)) return "Letters and digits only: no spaces, dashes or underscores.";
  if (id.length > 64) return `At most 64 characters (this one has ${id.length}).`;
  if (id !== current && taken.has(id)) return `${id} is already used in this design.`;
  return null;
}
