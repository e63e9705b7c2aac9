// A message's time in an SQS queue, in AWS's words: how each stay began (sent, visible again
// because the visibility timeout ran out, moved in from a source queue by its redrive policy, a
// second copy of at-least-once delivery) and how it ended (received, deleted, moved to the
// dead-letter queue after maxReceiveCount receives, expired after MessageRetentionPeriod, still in
// the queue when the run ended); and the flight between two stays. Read from the stay segments'
// annotations (receive_count, outcome) and metadata.sqs (emulator/services/sqs/queue.py). DOM-free.

const SQS_ORIGIN = "AWS::SQS::Queue";

/** Seconds as a reader says them: 30 s, 5 min, 1 h 30 min, 4 days. */
export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const units = [[86_400, "day"], [3600, "h"], [60, "min"]];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return unit === "day" ? `${n} day${n === 1 ? "" : "s"}` : `${n} ${unit}`;
    }
  }
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Number(seconds.toFixed(3))} s`;
}

const sqsOf = (segment) => segment?.metadata?.sqs || {};
const isStay = (segment) => segment?.origin === SQS_ORIGIN;
const queueName = (arn) => (typeof arn === "string" ? arn.split(":").at(-1) : "");

/** How the stay began. `parent` is the segment it hangs under, when it is a segment; `caller` the
 * component whose call (a subsegment) sent it, when known. {short, sentence} */
function beginning(segment, parent, caller) {
  const sqs = sqsOf(segment);
  if (isStay(parent) && parent.name !== segment.name) {
    return { short: `from ${parent.name}`, sentence: `Moved here from ${parent.name} by its redrive policy (RedrivePolicy).` };
  }
  if (isStay(parent)) {
    if (sqs.VisibilityTimeout !== undefined) {
      const timeout = formatSeconds(sqs.VisibilityTimeout);
      return { short: "visible again", sentence: `Visible again once the visibility timeout (VisibilityTimeout ` +
        `${timeout}) of the last receive ran out without a DeleteMessage.` };
    }
    if (parent.end_time === segment.start_time && parent.annotations?.outcome === "received") {
      return { short: "second copy", sentence: "A second copy, left behind by a receive (standard queues deliver at " +
        "least once)." };
    }
    return { short: "visible again", sentence: "Visible again before its visibility timeout ran out (ChangeMessageVisibility)." };
  }
  if (sqs.SentTimestamp !== undefined) {
    return { short: "sent", sentence: caller ? `Sent by ${caller} (SendMessage).` : "Sent (SendMessage)." };
  }
  return { short: "", sentence: "" };
}

/** How the stay ended. {short, sentence} */
function ending(segment) {
  const annotations = segment.annotations || {};
  const sqs = sqsOf(segment);
  const count = annotations.receive_count ?? 0;
  // A stay is sent when it ends; one still open is what the run ended with (the queue's finish).
  if (segment.in_progress || annotations.outcome === "in_queue") {
    return { short: "still there at the end", sentence: "Still in the queue when the run ended." };
  }
  switch (annotations.outcome) {
    case "received":
      return { short: "received", sentence: `Received (ReceiveMessage, ApproximateReceiveCount ${count}).` };
    case "deleted":
      return { short: "deleted", sentence: "Deleted while visible again (DeleteMessage with the receipt of an earlier receive)." };
    case "dead_lettered": {
      const policy = sqs.RedrivePolicy || {};
      const target = queueName(policy.deadLetterTargetArn) || "its dead-letter queue";
      const max = policy.maxReceiveCount;
      return max === undefined
        ? { short: `to ${target}`, sentence: `Moved to ${target} at the next receive.` }
        : { short: `to ${target} (maxReceiveCount ${max})`, sentence: `Moved to the dead-letter queue ${target} at ` +
            `the next receive: it had been received ${count} times, the maxReceiveCount of ${max}.` };
    }
    case "expired": {
      const period = sqs.MessageRetentionPeriod;
      return period === undefined
        ? { short: "expired", sentence: "Expired: older than the queue keeps messages." }
        : { short: `expired (MessageRetentionPeriod ${formatSeconds(period)})`, sentence: "Expired: deleted by the " +
            `queue once older than its MessageRetentionPeriod of ${formatSeconds(period)}; the message is lost.` };
    }
    default:
      return { short: annotations.outcome || "", sentence: "" };
  }
}

/**
 * A stay in words: {short (for the waterfall's row), sentences (for its details)}.
 * `parent`: the segment the stay hangs under, if any; `caller`: the component whose call sent it.
 */
export function stayStory(segment, { parent = null, caller = null } = {}) {
  const began = beginning(segment, parent, caller);
  const ended = ending(segment);
  const short = [began.short, ended.short].filter(Boolean).join(", ");
  return { short, sentences: [began.sentence, ended.sentence].filter(Boolean) };
}

/** The flight between a receive and the stay it came back to, when there is one: {short, sentences,
 * start, end} in epoch seconds, or null (the next stay began at once, or is not a return). */
export function flightBetween(previous, next) {
  if (!isStay(previous) || !isStay(next) || previous.name !== next.name) return null;
  if (previous.annotations?.outcome !== "received" || !(next.start_time > previous.end_time)) return null;
  const timeout = sqsOf(next).VisibilityTimeout;
  const why = timeout === undefined
    ? "until it was visible again"
    : `until the visibility timeout of ${formatSeconds(timeout)} ran out`;
  return {
    start: previous.end_time,
    end: next.start_time,
    short: timeout === undefined ? "in flight" : `in flight (VisibilityTimeout ${formatSeconds(timeout)})`,
    sentences: [`In flight: received (receive ${previous.annotations.receive_count}) and not deleted, invisible ${why}.`],
  };
}
