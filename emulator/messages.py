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


class MessageRecord(msgspec.Struct, gc=False, eq=False):
    """The ledger's entry for one accepted message.

    A Struct with gc=False rather than a class: the ledger keeps one per message for the whole
    run, and as plain objects they were what the garbage collector scanned again and again; they
    hold only numbers and strings, so they can never be part of a reference cycle.
    """

    message_id: str
    trace_id: str
    accepted_at: float
    tokens: int = 0
    outcome: int = COMPLETED
    finished_at: float | None = None
    rejected: bool = False


_encode = msgspec.json.Encoder(order="sorted").encode


class _MessageIdentity(msgspec.Struct, gc=False, eq=False):
    """The positional part of a Message (the rest is keyword-only)."""

    message_id: str
    trace_id: str
    payload: Any
    record: MessageRecord


class Message(_MessageIdentity, kw_only=True, gc=False, eq=False):
    """One copy of a message as it travels: payload, attributes and its trace.

    A Struct with gc=False rather than a class: thousands of copies wait in a busy queue, and the
    garbage collector would scan each of them again and again; a message refers only to its data
    and its record, never back to anything that holds it, so it can never be part of a cycle.
    ``eq=False``: two copies are two copies, however alike.
    """

    attributes: dict[str, Any] = {}
    group_id: str | None = None
    deduplication_id: str | None = None
    poison: bool = False
    sent_at: float = 0.0
    # False for a dead-letter copy: the message's outcome is already settled, so whoever
    # stores this copy takes no token and releases none.
    tracked: bool = True
    # The payload's JSON text, made the first time ``body`` is asked for (not to be passed).
    _body: bytes | None = None

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
