// Tokens moving along the canvas's connections. Hops (from HopResolver) arrive in batches, up to
// thousands per second; each animation frame takes at most `budgetPerFrame` of them:
// - failures (error, fault, throttle) first, always: none is sampled away (a flood of them is
//   spread over the next frames, and past `maxBacklog` older ones are folded into the newest
//   token of their edge, its weight counting them);
// - successful hops sampled uniformly per connection (a reservoir per edge), the frame's budget
//   shared fairly between connections, so a quiet path still shows while a busy one is sampled.
// TokenField then moves the taken tokens: where each one is (0..1 along its edge) at a time.
// DOM-free; the random source and clock are injected.

export class TokenSampler {
  constructor({ budgetPerFrame = 40, failureShare = 0.75, maxBacklog = 2000, random = Math.random } = {}) {
    this.budget = budgetPerFrame;
    this.failureShare = failureShare;
    this.maxBacklog = maxBacklog;
    this.random = random;
    this.failures = []; // waiting failures, oldest first
    this.reservoirs = new Map(); // edge key -> {seen, kept: []}
    this.stats = { offered: 0, shown: 0, failuresShown: 0, sampledAway: 0, folded: 0 };
  }

  offer(hops) {
    for (const hop of hops) {
      this.stats.offered += 1;
      if (hop.status && hop.status !== "ok") {
        this.failures.push({ ...hop, weight: 1 });
        continue;
      }
      const key = `${hop.source}>${hop.target}`;
      let reservoir = this.reservoirs.get(key);
      if (!reservoir) {
        reservoir = { seen: 0, kept: [] };
        this.reservoirs.set(key, reservoir);
      }
      reservoir.seen += 1;
      if (reservoir.kept.length < this.budget) reservoir.kept.push(hop);
      else {
        const slot = Math.floor(this.random() * reservoir.seen);
        if (slot < this.budget) reservoir.kept[slot] = hop;
      }
    }
    if (this.failures.length > this.maxBacklog) this.fold();
  }

  /** Fold the oldest waiting failures into the newest waiting one of the same edge and status. */
  fold() {
    const excess = this.failures.length - this.maxBacklog;
    const newest = new Map();
    for (const token of this.failures) newest.set(`${token.source}>${token.target}:${token.status}`, token);
    const kept = [];
    let folded = 0;
    for (const token of this.failures) {
      const target = newest.get(`${token.source}>${token.target}:${token.status}`);
      if (folded < excess && target !== token) {
        target.weight += token.weight;
        folded += 1;
      } else kept.push(token);
    }
    this.failures = kept;
    this.stats.folded += folded;
  }

  /** The tokens of one frame: [{source, target, status, traceId, weight, start, end}]. */
  take() {
    const frame = [];
    const failureSlots = Math.max(1, Math.floor(this.budget * this.failureShare));
    const failures = this.failures.splice(0, failureSlots);
    for (const token of failures) frame.push(token);
    this.stats.failuresShown += failures.length;
    // Successful hops share what is left, fairly across edges, each edge's pick uniform.
    let left = this.budget - frame.length;
    const edges = [...this.reservoirs.values()].filter((reservoir) => reservoir.kept.length);
    for (const reservoir of edges) {
      // Hops not kept by the reservoir stand for themselves in the weights of those shown.
      reservoir.weight = reservoir.seen / reservoir.kept.length;
    }
    let round = 0;
    while (left > 0 && edges.some((reservoir) => reservoir.kept.length > round)) {
      for (const reservoir of edges) {
        if (left <= 0) break;
        const hop = reservoir.kept[round];
        if (!hop) continue;
        frame.push({ ...hop, weight: reservoir.weight });
        left -= 1;
      }
      round += 1;
    }
    let sampledAway = 0;
    for (const reservoir of edges) sampledAway += reservoir.seen - Math.min(round, reservoir.kept.length);
    this.stats.sampledAway += sampledAway;
    this.reservoirs.clear();
    this.stats.shown += frame.length;
    return frame;
  }

  get waitingFailures() {
    return this.failures.length;
  }
}

/**
 * The tokens in motion: add() the frame's tokens at wall time `now` (ms), positions(now) says
 * where each is (progress 0..1 along its edge). A token takes `durationMs` to cross; at most
 * `maxActive` move at once, and `maxPerEdge` on one connection (more made a solid bar that hid
 * the connection's label). When there is no room a new successful token is not started: the ones
 * on their way finish their journey (evicting the oldest instead kept every token near its source
 * at high rates, none ever arriving). A failure always gets in, in the place of the oldest
 * successful token on its connection (anywhere when the whole field is full).
 */
export class TokenField {
  constructor({ durationMs = 900, maxActive = 400, maxPerEdge = 12 } = {}) {
    this.durationMs = durationMs;
    this.maxActive = maxActive;
    this.maxPerEdge = maxPerEdge;
    this.active = [];
    this.perEdge = new Map();
  }

  add(tokens, now) {
    tokens.forEach((token, index) => {
      // Spread a frame's tokens a little so a batch does not move as one block.
      const moving = { ...token, born: now + (index % 8) * 25 };
      const edge = edgeOf(token);
      const room = this.active.length < this.maxActive && (this.perEdge.get(edge) ?? 0) < this.maxPerEdge;
      if (!room && token.status === "ok") return;
      if (!room) {
        // The field full: the oldest success anywhere gives way; only the connection full: the
        // oldest success on it (one elsewhere would free nothing here).
        const full = this.active.length >= this.maxActive;
        const oldest = this.active.findIndex((other) => other.status === "ok" && (full || edgeOf(other) === edge));
        if (oldest >= 0) this.drop(oldest);
        else if (full) this.drop(0);
      }
      this.active.push(moving);
      this.perEdge.set(edge, (this.perEdge.get(edge) ?? 0) + 1);
    });
  }

  drop(index) {
    const [token] = this.active.splice(index, 1);
    if (token) this.perEdge.set(edgeOf(token), this.perEdge.get(edgeOf(token)) - 1);
  }

  /** [{token, progress}] of those on their way at `now`; finished ones are dropped. */
  positions(now) {
    const result = [];
    const alive = [];
    for (const token of this.active) {
      const progress = (now - token.born) / this.durationMs;
      if (progress >= 1) {
        this.perEdge.set(edgeOf(token), this.perEdge.get(edgeOf(token)) - 1);
        continue;
      }
      alive.push(token);
      if (progress >= 0) result.push({ token, progress: ease(progress) });
    }
    this.active = alive;
    return result;
  }

  get size() {
    return this.active.length;
  }
}

function edgeOf(token) {
  return `${token.source}>${token.target}`;
}

function ease(t) {
  return t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
}

/** A point along a straight or quadratic edge from `a` to `b` (control point `c` optional). */
export function pointAlong(a, b, t, c = null) {
  if (!c) return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
  const u = 1 - t;
  return { x: u * u * a.x + 2 * u * t * c.x + t * t * b.x, y: u * u * a.y + 2 * u * t * c.y + t * t * b.y };
}
