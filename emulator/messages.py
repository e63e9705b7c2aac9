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

from typing import Any, Final

import msgspec

COMPLETED: Final = 0
DEAD_LETTERED: Final = 1
LOST: Final = 2
OUTCOME_NAMES = ("completed", "dead_lettered", "lost")


class MessageRecord:
    """The ledger's entry for one accepted message.

    A plain class, compiled with the hot path (emulator/_compiled.py): compiled code reaches its
    fields directly, where a msgspec Struct's went through Python's generic attribute lookup (the
    benchmark pipeline ran 1.3x as fast once messages and records became native). It holds only
    numbers and strings, so it is never part of a reference cycle.
    """

    def __init__(self, message_id: str, trace_id: str, accepted_at: float, tokens: int = 0,
                 outcome: int = COMPLETED, finished_at: float | None = None, rejected: bool = False,
                 failed: bool = False) -> None:
        self.message_id = message_id
        self.trace_id = trace_id
        self.accepted_at = accepted_at
        self.tokens = tokens
        self.outcome = outcome
        self.finished_at = finished_at
        self.rejected = rejected
        # Completed, but its processing ended in a failure that was recorded rather than dropped
        # (a state machine execution that failed): the trace list shows it as failed.
        self.failed = failed
        # The deliveries consumers have handled successfully (the ledger's ``handled``): the first as
        # two fields, for the usual message that one consumer handles once, the others in a set.
        self.handled_by: str | None = None
        self.handled_delivery: str | None = None
        self.handled_more: set[tuple[str, str | None]] | None = None


_encode: Final = msgspec.json.Encoder(order="sorted").encode


class Message:
    """One copy of a message as it travels: payload, attributes and its trace.

    Native for the same reason as ``MessageRecord``. Compared by identity: two copies are two
    copies, however alike. A message refers only to its data and its record, never back to what
    holds it, so it is never part of a reference cycle.
    """

    def __init__(self, message_id: str, trace_id: str, payload: Any, record: MessageRecord, *,
                 attributes: dict[str, Any] | None = None, group_id: str | None = None,
                 deduplication_id: str | None = None, poison: bool = False, sent_at: float = 0.0,
                 tracked: bool = True, _body: bytes | None = None) -> None:
        self.message_id = message_id
        self.trace_id = trace_id
        self.payload = payload
        self.record = record
        self.attributes: dict[str, Any] = {} if attributes is None else attributes
        self.group_id = group_id
        self.deduplication_id = deduplication_id
        self.poison = poison
        self.sent_at = sent_at
        # False for a dead-letter copy: the message's outcome is already settled, so whoever
        # stores this copy takes no token and releases none.
        self.tracked = tracked
        # The payload's JSON text, made the first time ``body`` is asked for.
        self._body = _body

    def __repr__(self) -> str:
        return f"Message({self.message_id}, {self.payload!r}, sent_at={self.sent_at:g})"

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
            _body=self._body if payload is None else None,  # the same payload: its JSON text too
        )
