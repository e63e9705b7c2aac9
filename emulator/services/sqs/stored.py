"""What a queue keeps: stored copies, FIFO groups, receipts handed to consumers, the FIFO send
quota and deduplication."""

from __future__ import annotations

import hashlib
from collections import deque
from typing import TYPE_CHECKING, Final

from emulator.kernel import Deadline, Event
from emulator.messages import Message
from emulator.pricing import SQS_CHUNK_BYTES

if TYPE_CHECKING:
    from emulator.services.sqs.queue import Queue

DEDUPLICATION_INTERVAL_S: Final = 300.0
# Where a stored copy is.
DELAYED: Final = 0
VISIBLE: Final = 1
IN_FLIGHT: Final = 2
GONE: Final = 3
# Final: compiled code reads it from a C variable, not from the module's dictionary.
_CHUNK_BYTES: Final = SQS_CHUNK_BYTES


class Delivery:
    """One message handed to a consumer by one receive: what it needs to delete it later."""

    __slots__ = ("message", "queue", "receipt", "receive_count", "received_at", "segment_id", "delivery")

    def __init__(self, message: Message, queue: Queue, receipt: int, receive_count: int, received_at: float,
                 segment_id: str, delivery: str | None) -> None:
        self.message = message
        self.queue = queue
        self.receipt = receipt
        self.receive_count = receive_count
        self.received_at = received_at
        # The dwell segment that ended at this receive: the consumer's segment hangs under it.
        self.segment_id = segment_id
        # The send that stored the message (the delivery the ledger's duplicates count by).
        self.delivery = delivery

    def __repr__(self) -> str:
        return f"Delivery({self.message.message_id}, receipt={self.receipt}, receive_count={self.receive_count})"


class Group:
    """A FIFO message group: its waiting messages in order, and how many are in flight."""

    __slots__ = ("id", "waiting", "in_flight")

    def __init__(self, group_id: str) -> None:
        self.id = group_id
        self.waiting: deque[Stored] = deque()
        self.in_flight = 0


class Stored:
    """One copy of a message in this queue."""

    __slots__ = ("message", "sequence", "sent_at", "expires_at", "state", "receive_count", "receipt", "timer",
                 "visibility_timeout", "timed_out", "stay_start", "parent_id", "delivery", "first_stay", "group")

    def __init__(self, message: Message, sequence: int, expires_at: float, parent_id: str | None,
                 delivery: str | None, group: Group | None) -> None:
        self.message = message
        self.sequence = sequence
        self.sent_at = message.sent_at
        self.expires_at = expires_at
        self.state = DELAYED
        self.receive_count = 0
        self.receipt = 0
        # The pending visibility timeout, cancelled when the message is deleted or its deadline moves
        # (so a finished run does not wait for timers that can no longer matter).
        self.timer: Deadline | Event | None = None
        # The visibility timeout of the current flight, and whether it ran out (the next stay says so).
        self.visibility_timeout = 0.0
        self.timed_out = False
        self.stay_start = message.sent_at
        # The parent of the next dwell segment: the caller's subsegment, then the previous stay.
        self.parent_id = parent_id
        # The send that stored it (the same for every receive, and for an at-least-once copy of it).
        self.delivery = delivery
        self.first_stay = True
        self.group = group


class TokenBucket:
    """Calls per second with one second's worth as burst (the FIFO 300 TPS quota)."""

    __slots__ = ("per_second", "_tokens", "_refilled_at")

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._tokens = per_second
        self._refilled_at = 0.0

    def take(self, now: float) -> bool:
        self._tokens = min(self.per_second, self._tokens + (now - self._refilled_at) * self.per_second)
        self._refilled_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def chunks(size_bytes: int) -> int:
    """Billed requests for a payload: each 64 KB chunk is one."""
    return max(1, -(-size_bytes // _CHUNK_BYTES))


class Deduplication:
    """FIFO deduplication: a send that repeats a deduplication id within the 5-minute interval of
    the first such send is accepted but not stored again (``earlier_send`` gives the first's id)."""

    __slots__ = ("per_group", "_first_sends", "_expiry")

    def __init__(self, per_group: bool) -> None:
        # DeduplicationScope messageGroup: the same id in two groups is two messages.
        self.per_group = per_group
        self._first_sends: dict[tuple[str | None, str], tuple[float, str]] = {}
        # (expiry, key) in the order the intervals end: sends arrive in time order.
        self._expiry: deque[tuple[float, tuple[str | None, str]]] = deque()

    def earlier_send(self, message: Message, now: float) -> str | None:
        """The MessageId of a send this one repeats within 5 minutes, else None (and remember this one)."""
        expiry = self._expiry
        while expiry and expiry[0][0] <= now:
            expires_at, old_key = expiry.popleft()
            current = self._first_sends.get(old_key)
            if current is not None and current[0] == expires_at:  # not renewed by a later first send
                del self._first_sends[old_key]
        deduplication_id = message.deduplication_id or hashlib.sha256(message.body).hexdigest()
        key = (message.group_id if self.per_group else None, deduplication_id)
        earlier = self._first_sends.get(key)
        if earlier is not None and earlier[0] > now:
            return earlier[1]
        # The interval runs from the first send; repeats inside it do not extend it.
        expires_at = now + DEDUPLICATION_INTERVAL_S
        self._first_sends[key] = (expires_at, message.message_id)
        expiry.append((expires_at, key))
        return None
