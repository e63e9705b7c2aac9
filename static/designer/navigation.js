// Moving around the canvas by keyboard: which component comes next in reading order or in a
// direction, and how far an arrow key moves a component. DOM-free: tests/js/navigation.test.js.
//
// Places are {id, x, y}: a component's centre in the canvas's model coordinates (what the
// document's `position` holds, or where a layout drew a component that has none yet).

/** Pixels one arrow key moves the components being moved; with Shift, LARGE_MOVE_STEP. */
export const MOVE_STEP = 10;
export const LARGE_MOVE_STEP = 50;

// Components drawn 64 px tall: centres closer than half of that in y read as one row.
const ROW_TOLERANCE = 32;

const VECTORS = {
  left: { x: -1, y: 0 },
  right: { x: 1, y: 0 },
  up: { x: 0, y: -1 },
  down: { x: 0, y: 1 },
};

const ARROW_KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

/** "left", "right", "up" or "down" for an arrow key's `event.key`, else null. */
export function directionOfKey(key) {
  return ARROW_KEYS[key] || null;
}

/** Ids in reading order: rows from top to bottom, each row from left to right. */
export function readingOrder(places) {
  const byHeight = [...places].sort((a, b) => a.y - b.y || a.x - b.x);
  const rows = [];
  for (const place of byHeight) {
    const row = rows.at(-1);
    if (row && place.y - row[0].y <= ROW_TOLERANCE) row.push(place);
    else rows.push([place]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.x - b.x || a.y - b.y).map((place) => place.id));
}

/**
 * The id `step` places after `fromId` in reading order (-1: before). From no component (null
 * or one not among the places), the first (or, backwards, the last). At either end: null, or
 * with `wrap`, round to the other end.
 */
export function nextInReadingOrder(places, fromId, step = 1, { wrap = false } = {}) {
  const order = readingOrder(places);
  if (order.length === 0) return null;
  const index = order.indexOf(fromId);
  if (index === -1) return step > 0 ? order[0] : order.at(-1);
  const next = index + step;
  if (next >= 0 && next < order.length) return order[next];
  if (!wrap) return null;
  return order[(next + order.length) % order.length];
}

/**
 * The component that the arrow towards `direction` reaches from `fromId`: among those within
 * 45 degrees of that direction, the nearest, counting a step aside twice as far as a step
 * ahead (so the one in line wins). Null when nothing lies that way. Ties go in reading order.
 */
export function nearestInDirection(places, fromId, direction) {
  const from = places.find((place) => place.id === fromId);
  const vector = VECTORS[direction];
  if (!from || !vector) return null;
  const order = readingOrder(places);
  let best = null;
  for (const place of places) {
    if (place.id === fromId) continue;
    const dx = place.x - from.x;
    const dy = place.y - from.y;
    const ahead = dx * vector.x + dy * vector.y;
    const aside = Math.abs(dx * vector.y - dy * vector.x);
    if (ahead <= 0 || aside > ahead) continue;
    const score = ahead + 2 * aside;
    const rank = order.indexOf(place.id);
    if (!best || score < best.score || (score === best.score && rank < best.rank)) {
      best = { id: place.id, score, rank };
    }
  }
  return best ? best.id : null;
}

/** How far one arrow key moves a component: {dx, dy} in canvas pixels. */
export function moveStep(direction, large = false) {
  const vector = VECTORS[direction];
  if (!vector) throw new Error(`Unknown direction ${direction}.`);
  const length = large ? LARGE_MOVE_STEP : MOVE_STEP;
  // `+ 0` turns the -0 of a zero component into 0.
  return { dx: vector.x * length + 0, dy: vector.y * length + 0 };
}

/** `positions` ({id: {x, y}}) with the components `ids` shifted by `delta`, on whole pixels. */
export function movedPositions(positions, ids, { dx, dy }) {
  const moved = {};
  for (const id of ids) {
    const position = positions[id];
    if (!position) continue;
    moved[id] = { x: Math.round(position.x + dx), y: Math.round(position.y + dy) };
  }
  return moved;
}

/** Places from positions ({id: {x, y}}), as the functions above take them. */
export function placesOf(positions) {
  return Object.entries(positions).map(([id, { x, y }]) => ({ id, x, y }));
}
