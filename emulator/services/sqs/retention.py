"""MessageRetentionPeriod at its time: one timer per queue, armed for the copy that expires first.

A timer per message would put an event on the kernel's heap for each send, almost none of which
fire (messages are deleted long before they expire). Copies are stored in sequence order, and
nearly always expire in that order too (``expires_at`` is the send time plus the queue's retention),
so the queue keeps one timer, armed for its oldest copy and armed again for the next when it fires.
The few copies stored out of that order (an at-least-once copy keeps its original's expiry, a
standard dead-letter queue keeps the first send time) wait in a small heap beside it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Final

from emulator.kernel import Event, Kernel
from emulator.services.sqs.stored import IN_FLIGHT, Stored

# Out-of-order entries whose copies are gone (deleted) are dropped once they outnumber the copies.
_COMPACT_ABOVE: Final = 64


class Retention:
    """When each stored copy of a queue expires, and the one timer that expires it then.

    ``expire(stored)`` is called at the copy's expiry for a copy waiting in the queue (delayed or
    visible); a copy in flight to a consumer is decided when its visibility timeout ends.
    """

    __slots__ = ("kernel", "stored", "expire", "_timer", "_due", "_last_in_order", "_out_of_order")

    def __init__(self, kernel: Kernel, stored: dict[int, Stored], expire: Callable[[Stored], None]) -> None:
        self.kernel = kernel
        # The queue's copies by sequence, in the order they were stored.
        self.stored = stored
        self.expire = expire
        self._timer: Event | None = None
        self._due = 0.0
        # The latest expiry of a copy stored in order: a copy expiring before it is out of order.
        self._last_in_order = float("-inf")
        self._out_of_order: list[tuple[float, int]] = []  # a heap of (expires_at, sequence)

    def kept(self, stored: Stored) -> None:
        """The queue stored ``stored``: it expires at ``stored.expires_at`` unless it leaves first."""
        expires_at = stored.expires_at
        if expires_at >= self._last_in_order:
            self._last_in_order = expires_at
        else:
            out_of_order = self._out_of_order
            heapq.heappush(out_of_order, (expires_at, stored.sequence))
            if len(out_of_order) > 2 * len(self.stored) + _COMPACT_ABOVE:
                kept = [entry for entry in out_of_order if entry[1] in self.stored]
                heapq.heapify(kept)
                self._out_of_order = kept
        if self._timer is None or expires_at < self._due:
            self._arm(expires_at)

    def emptied(self, deadline: float) -> None:
        """The queue holds nothing: a timer due within the run must not run (nor move the clock);
        one due after the deadline can stay, as it can never run in this run."""
        self._out_of_order.clear()
        if self._timer is not None and self._due <= deadline:
            self.kernel.cancel(self._timer)
            self._timer = None

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self.kernel.cancel(self._timer)
        self._due = due
        self._timer = self.kernel.schedule_at(due, self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self.kernel.now
        due: list[Stored] = []
        next_due: float | None = None
        # In order, the copies expiring by now are at the front; the first that does not ends the scan.
        for stored in self.stored.values():
            if stored.expires_at > now:
                next_due = stored.expires_at
                break
            if stored.state != IN_FLIGHT:
                due.append(stored)
        for stored in due:
            self.expire(stored)
        out_of_order = self._out_of_order
        while out_of_order and out_of_order[0][0] <= now:
            found = self.stored.get(heapq.heappop(out_of_order)[1])
            if found is not None and found.state != IN_FLIGHT:
                self.expire(found)
        if out_of_order and (next_due is None or out_of_order[0][0] < next_due):
            next_due = out_of_order[0][0]
        if next_due is not None and self.stored:
            self._arm(next_due)
