"""Messages in flight and the ledger that accounts for every one of them.

A message enters once (at the workload's target) and may travel as several copies:
SNS fans it out, a standard queue delivers it twice, a destination receives a record of
it. Each place that holds a copy (a queue, Lambda's internal event queue, a request being
answered) holds one token on the message's record; handing a copy on takes a token before
the old holder gives its own back. When the last token is given back the message is
finished, and its outcome is the worst of the outcomes its copies ended with. That is what
lets the summary balance: accepted = completed + dead_lettered + in_flight + lost.
"""

from __future__ import annotations

from typing import Any

import msgspec

COMPLETED = 0
DEAD_LETTERED = 1
LOST = 2
OUTCOME_NAMES = ("completed", "dead_lettered", "lost")


class MessageRecord:
    """The ledger's entry for one accepted message."""

    __slots__ = ("message_id", "trace_id", "accepted_at", "tokens", "outcome", "finished_at", "rejected")

    def __init__(self, message_id: str, trace_id: str, accepted_at: float) -> None:
        self.message_id = message_id
        self.trace_id = trace_id
        self.accepted_at = accepted_at
        self.tokens = 0
        self.outcome = COMPLETED
        self.finished_at: float | None = None
        self.rejected = False


class Ledger:
    """Counts messages from entry to their last copy's end."""

    def __init__(self) -> None:
        self.records: list[MessageRecord] = []
        self.duplicate_deliveries = 0
        self.open_messages = 0

    def accept(self, message_id: str, trace_id: str, now: float) -> MessageRecord:
        record = MessageRecord(message_id, trace_id, now)
        record.tokens = 1
        self.records.append(record)
        self.open_messages += 1
        return record

    @staticmethod
    def hold(record: MessageRecord) -> None:
        """A new place now holds a copy of the message."""
        record.tokens += 1

    def release(self, record: MessageRecord, outcome: int, now: float) -> None:
        """A place gave its copy back, the copy having ended with ``outcome``."""
        if outcome > record.outcome:
            record.outcome = outcome
        record.tokens -= 1
        if record.tokens == 0:
            record.finished_at = now
            self.open_messages -= 1

    def counts(self) -> dict[str, int]:
        accepted = completed = dead_lettered = lost = in_flight = rejected = 0
        for record in self.records:
            if record.rejected:
                rejected += 1
                continue
            accepted += 1
            if record.tokens > 0:
                in_flight += 1
            elif record.outcome == COMPLETED:
                completed += 1
            elif record.outcome == DEAD_LETTERED:
                dead_lettered += 1
            else:
                lost += 1
        return {
            "accepted": accepted,
            "completed": completed,
            "dead_lettered": dead_lettered,
            "rejected": rejected,
            "in_flight": in_flight,
            "lost": lost,
            "duplicate_deliveries": self.duplicate_deliveries,
        }

    def latencies_ms(self) -> list[float]:
        """End-to-end latency of every completed message: entry to its last copy's end."""
        return [
            (r.finished_at - r.accepted_at) * 1000.0
            for r in self.records
            if not r.rejected and r.tokens == 0 and r.outcome == COMPLETED and r.finished_at is not None
        ]


_encode = msgspec.json.Encoder(order="sorted").encode


class Message:
    """One copy of a message as it travels: payload, attributes and its trace."""

    __slots__ = (
        "message_id",
        "trace_id",
        "payload",
        "attributes",
        "group_id",
        "deduplication_id",
        "poison",
        "record",
        "sent_at",
        "tracked",
        "_body",
    )

    def __init__(
        self,
        message_id: str,
        trace_id: str,
        payload: Any,
        record: MessageRecord,
        *,
        attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        poison: bool = False,
        sent_at: float = 0.0,
        tracked: bool = True,
    ) -> None:
        self.message_id = message_id
        self.trace_id = trace_id
        self.payload = payload
        self.attributes = attributes or {}
        self.group_id = group_id
        self.deduplication_id = deduplication_id
        self.poison = poison
        self.record = record
        self.sent_at = sent_at
        # False for a dead-letter copy: the message's outcome is already settled, so whoever
        # stores this copy takes no token and releases none.
        self.tracked = tracked
        self._body: bytes | None = None

    @property
    def body(self) -> bytes:
        """The payload as the JSON text a service would carry (keys sorted: deterministic)."""
        if self._body is None:
            payload = self.payload
            self._body = payload.encode() if isinstance(payload, str) else _encode(payload)
        return self._body

    @property
    def size_bytes(self) -> int:
        return len(self.body)

    def copy(self, *, payload: Any = None, sent_at: float | None = None, tracked: bool | None = None) -> Message:
        """Another copy of the same message (same id, trace and record), optionally re-wrapped."""
        return Message(
            self.message_id,
            self.trace_id,
            self.payload if payload is None else payload,
            self.record,
            attributes=self.attributes,
            group_id=self.group_id,
            deduplication_id=self.deduplication_id,
            poison=self.poison,
            sent_at=self.sent_at if sent_at is None else sent_at,
            tracked=self.tracked if tracked is None else tracked,
        )
