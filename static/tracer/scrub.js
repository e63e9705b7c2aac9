// Scrubbing and replaying a run: the virtual second each stream message belongs at, the same rule
// as the server's replay (tracer/replay.py). DOM-free; tested in tests/js/tracer/scrub.test.js.
//
// - run.metrics: the sample's t; run.segments: the latest end (or start) of its segments (a
//   segment is sent when it ends); run.status: its virtual_seconds;
// - run.traces and run.finished have no time of their own: they belong with the message before.

/** X-Ray times are epoch seconds: the emulator's virtual 0 is this instant (emulator/tracing.py). */
export const EPOCH = 1767225600;

/** The virtual second a message belongs at, or null when it has none of its own. */
export function messageTime(message) {
  switch (message.type) {
    case "run.metrics":
      return message.sample.t;
    case "run.status":
      return message.virtual_seconds ?? null;
    case "run.segments": {
      let latest = null;
      for (const segment of message.segments) {
        const t = (segment.end_time ?? segment.start_time) - EPOCH;
        if (latest === null || t > latest) latest = t;
      }
      return latest;
    }
    default:
      return null;
  }
}

/**
 * How many of ``history`` (messages in seq order) make up the run at virtual time ``t``: every
 * message up to the first whose time is past ``t`` (a message without a time goes with the one
 * before it). Times never go back: a message earlier than one before it counts at the later time.
 */
export function countUpTo(history, t) {
  let reached = -Infinity;
  for (let i = 0; i < history.length; i += 1) {
    const time = messageTime(history[i]);
    if (time !== null) reached = Math.max(reached, time);
    if (reached > t) return i;
  }
  return history.length;
}
