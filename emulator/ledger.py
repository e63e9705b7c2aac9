"""The ledger that accounts for every message, from entry to its last copy's end.

How tokens work is told in ``emulator/messages.py``. The ledger is on the hot path (every hand-off
holds and releases a token), so it lives apart from the msgspec Structs and is compiled with it.
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
