"""The ledger that accounts for every message, from entry to its last copy's end.

How tokens work is told in ``emulator/messages.py``. The ledger is on the hot path (every hand-off
holds and releases a token), so it lives apart from the msgspec Structs and is compiled with it.

Duplicates. A duplicate is each successful handling of a delivery by a consumer beyond the first.

- Consumers are the components that run the user's work on a message: Lambda functions (however
  they were invoked) and Step Functions executions. Queues, topics, buses, streams and Firehose
  carry copies (storing or forwarding one twice is not handling it); tables, buckets, caches,
  databases and HTTP APIs are called by consumers, so what they see twice follows from a
  consumer's duplicate, counted there.
- Successful handling: a function's segment with outcome ``ok``, or ``batch_failed`` (its record
  was handled, another record failed the invocation); an execution that succeeded.
- A delivery is what hands the message to the consumer, named by the id of the call or segment
  that did (the consumer segment's parent in the trace): an SQS message stands for the send that
  stored it through all its receives, and the copies at-least-once delivery leaves behind are the
  same delivery; a Kinesis record likewise stands for its PutRecord call; a stream record for all
  of its batch's retries; an asynchronous event for all of Lambda's attempts; a synchronous call
  for the SDK's retries; an Express start for its second run; an at-least-once second copy from
  EventBridge or S3 for the first (its call subsegment carries ``repeats``: the first's id). A
  new request is a new delivery: a Task's call (Retry included), a poll, a fan-out copy per
  subscription or target, the next round of a loop, and the work a duplicate causes downstream
  (counted once, where it happened).

So a message redelivered because its visibility timeout ended while it was being handled, or a
record of a retried batch that had been handled already, is a duplicate; the trace shows it as a
second ``ok`` segment of the same consumer under the same delivery. The state it takes lives on
the message's record, so it dies with the record.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy_extensions import mypyc_attr

from emulator.histogram import Latencies
from emulator.messages import COMPLETED, MessageRecord


# Tests wrap it in plain Python to watch the records go by.
@mypyc_attr(allow_interpreted_subclasses=True)
class Ledger:
    """Counts messages from entry to their last copy's end, in memory that does not grow.

    Records are not kept here: each lives as long as a copy of its message refers to it, and
    the ledger keeps only counters and the latency distribution of finished messages.
    """

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected = 0
        self.finished = [0, 0, 0]  # by outcome: completed, dead-lettered, lost
        self.duplicate_deliveries = 0
        # Copies held anywhere (one token each), of every open message: the summary's
        # in_flight_at_end says where each one is.
        self.copies = 0
        # Messages with a copy still held somewhere, rejected ones included.
        self.open_messages = 0
        # Accepted (not rejected) messages still open: the summary's in_flight.
        self.in_flight = 0
        self.latencies = Latencies()
        # Set by a live run: the latencies of messages finished since its last sample.
        self.window: list[float] | None = None
        # Told of each message whose last copy has ended (rejected ones too): a console groups a
        # message's segments into one stored trace and knows its outcome then. Segments of
        # untracked copies (a dead letter waiting in its queue) may still follow.
        self.on_finished: Callable[[MessageRecord], None] | None = None

    def accept(self, message_id: str, trace_id: str, now: float) -> MessageRecord:
        self.accepted += 1
        self.open_messages += 1
        self.in_flight += 1
        self.copies += 1
        return MessageRecord(message_id, trace_id, now, tokens=1)

    def reject(self, record: MessageRecord) -> None:
        """The entry point refused the message: it counts as rejected, not accepted.

        Called while the caller's answer still holds its token, so the record is open.
        """
        if not record.rejected:
            record.rejected = True
            self.accepted -= 1
            self.rejected += 1
            self.in_flight -= 1

    def hold(self, record: MessageRecord) -> None:
        """A new place now holds a copy of the message."""
        record.tokens += 1
        self.copies += 1

    def release(self, record: MessageRecord, outcome: int, now: float) -> None:
        """A place gave its copy back, the copy having ended with ``outcome``."""
        if outcome > record.outcome:
            record.outcome = outcome
        record.tokens -= 1
        self.copies -= 1
        if record.tokens == 0:
            record.finished_at = now
            self.open_messages -= 1
            if self.on_finished is not None:
                self.on_finished(record)
            if not record.rejected:
                self.in_flight -= 1
                self.finished[record.outcome] += 1
                if record.outcome == COMPLETED:
                    # End-to-end latency: entry to the last copy's end.
                    latency = (now - record.accepted_at) * 1000.0
                    self.latencies.add(latency)
                    if self.window is not None:
                        self.window.append(latency)

    def handled(self, record: MessageRecord, consumer: str, delivery: str | None) -> None:
        """``consumer`` handled ``delivery`` of the message successfully: a duplicate if it had already."""
        first = record.handled_by
        if first is None:
            record.handled_by = consumer
            record.handled_delivery = delivery
        elif first == consumer and record.handled_delivery == delivery:
            self.duplicate_deliveries += 1
        else:
            more = record.handled_more
            key = (consumer, delivery)
            if more is None:
                record.handled_more = {key}
            elif key in more:
                self.duplicate_deliveries += 1
            else:
                more.add(key)

    def counts(self) -> dict[str, int]:
        completed, dead_lettered, lost = self.finished
        return {
            "accepted": self.accepted,
            "completed": completed,
            "dead_lettered": dead_lettered,
            "rejected": self.rejected,
            "in_flight": self.in_flight,
            "lost": lost,
            "duplicate_deliveries": self.duplicate_deliveries,
        }
