"""The discrete-event kernel: a virtual clock and a heap of scheduled callbacks.

Shaped like SimPy's core (``now``, ``schedule``, ``run(until=...)``) but with plain
callbacks instead of generator processes: the emulator schedules millions of events
per run and a callback costs a third of a generator resume. Ties in time run in the
order they were scheduled (a sequence counter breaks them), which is what makes a run
deterministic. A scheduled event can be cancelled (a timeout that did not happen); a
cancelled event never runs and never moves the clock, so a run ends at its last real
event. Wall-clock pacing for live viewing wraps ``run(until=...)``; it is not a flag in here.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any, Final, final

Callback = Callable[..., None]
# Final: compiled code calls them through C variables rather than looking them up by name each time.
heappush: Final = heapq.heappush
heappop: Final = heapq.heappop


@final
class Event:
    """One scheduled callback: the heap's entry, and the handle ``cancel`` takes.

    A native class (the kernel is compiled): one allocation where a list took two, and the heap
    compares two C doubles (then two sequence numbers on a tie) instead of two lists item by item.
    """

    __slots__ = ("time", "sequence", "callback", "args")

    def __init__(self, time: float, sequence: int, callback: Callback | None, args: tuple[Any, ...]) -> None:
        self.time = time
        self.sequence = sequence
        # None once cancelled.
        self.callback = callback
        self.args = args

    def __lt__(self, other: Event) -> bool:
        time = self.time
        other_time = other.time
        return time < other_time or (time == other_time and self.sequence < other.sequence)


class Kernel:
    """A virtual clock in seconds and the events waiting on it."""

    __slots__ = ("now", "_queue", "_sequence", "_stopped", "events_processed")

    def __init__(self) -> None:
        self.now: float = 0.0
        self._queue: list[Event] = []
        self._sequence = 0
        self._stopped = False
        self.events_processed = 0

    def schedule(self, delay: float, callback: Callback, *args: Any) -> Event:
        """Call ``callback(*args)`` ``delay`` virtual seconds from now; returns a handle for ``cancel``."""
        if delay < 0:
            raise ValueError(f"cannot schedule {delay} s in the past")
        sequence = self._sequence = self._sequence + 1
        event = Event(self.now + delay, sequence, callback, args)
        heappush(self._queue, event)
        return event

    def schedule_at(self, time: float, callback: Callback, *args: Any) -> Event:
        """Call ``callback(*args)`` at virtual time ``time`` (not earlier than now)."""
        now = self.now
        sequence = self._sequence = self._sequence + 1
        event = Event(time if time > now else now, sequence, callback, args)
        heappush(self._queue, event)
        return event

    @staticmethod
    def cancel(event: Event) -> None:
        """The event will not run (cancelling one that already ran does nothing)."""
        event.callback = None

    @property
    def next_time(self) -> float | None:
        """When the next event that will run is due, or None when nothing is scheduled."""
        queue = self._queue
        while queue and queue[0].callback is None:
            heappop(queue)
        return queue[0].time if queue else None

    def stop(self) -> None:
        """Make ``run`` return after the event being processed."""
        self._stopped = True

    def run(self, until: float | None = None, *, advance_clock: bool = True, max_events: int | None = None) -> bool:
        """Process events in time order until the queue empties, ``until`` is reached or ``stop``.

        With ``until`` the clock ends exactly at ``until``, as in SimPy, so a pacing wrapper can
        advance time in slices. With ``advance_clock=False`` it stays at the last event run, and
        the caller decides whether time goes on (``Simulation.advance`` applies the run's end rule).

        With ``max_events`` it returns after that many events at most, the clock at the last one:
        a slice of bounded work, for a caller that looks at the wall clock between slices (one
        virtual second of a flood is millions of events). Calling again resumes where it stopped,
        so the run is the same however it is sliced. Returns False when ``max_events`` ran out or
        ``stop`` was called first (events due by ``until`` may be left), else True.
        """
        if max_events is not None and max_events < 1:
            raise ValueError(f"max_events must be at least 1, got {max_events}")
        queue = self._queue
        processed = 0
        budget = -1 if max_events is None else max_events  # -1: processed never equals it
        self._stopped = False
        limit = float("inf") if until is None else until
        while queue:
            event = heappop(queue)
            time = event.time
            if time > limit:
                heappush(queue, event)  # not due yet: back where it was (its sequence keeps its place)
                break
            callback = event.callback
            if callback is None:
                continue
            self.now = time
            callback(*event.args)
            processed += 1
            if self._stopped or processed == budget:
                break
        self.events_processed += processed
        if processed == budget or self._stopped:
            return False
        if until is not None and advance_clock and self.now < until:
            self.now = until
        return True


class Deadline:
    """One pending timeout of a ``Deadlines`` queue; ``cancel`` it when the work ends in time."""

    __slots__ = ("due", "item", "active", "owner")

    def __init__(self, due: float, item: Any, owner: Deadlines) -> None:
        self.due = due
        self.item = item
        self.active = True
        self.owner = owner

    def cancel(self) -> None:
        if self.active:
            self.active = False
            self.item = None  # the item usually holds its deadline: no cycle left behind
            self.owner.cancelled()


class Deadlines:
    """Timeouts that all have the same length: they expire in the order they started.

    An API's integration timeout, a function's timeout, a queue's visibility timeout: one per
    request, almost none of which fire. As a kernel event each, they would fill the heap with
    hundreds of thousands of dead entries; in order, a deque and a single pending event do.
    """

    __slots__ = ("kernel", "duration", "expire", "_pending", "_event", "_active")

    def __init__(self, kernel: Kernel, duration: float, expire: Callable[[Any], None]) -> None:
        self.kernel = kernel
        self.duration = duration
        self.expire = expire
        self._pending: deque[Deadline] = deque()
        self._event: Event | None = None
        self._active = 0

    def start(self, item: Any) -> Deadline:
        """``expire(item)`` will be called ``duration`` from now unless the deadline is cancelled."""
        deadline = Deadline(self.kernel.now + self.duration, item, self)
        self._pending.append(deadline)
        self._active += 1
        if self._event is None:
            self._event = self.kernel.schedule_at(deadline.due, self._fire)
        return deadline

    def cancelled(self) -> None:
        self._active -= 1
        pending = self._pending
        if self._active == 0:
            pending.clear()
            if self._event is not None:
                # Nothing left to time out: drop the pending event so it does not extend the run.
                self.kernel.cancel(self._event)
                self._event = None
            return
        # Work mostly ends in the order it started: let go of the cancelled deadlines at the front
        # now, rather than keeping them (for the garbage collector to scan) until they would expire.
        while not pending[0].active:
            pending.popleft()

    def _fire(self) -> None:
        pending, now = self._pending, self.kernel.now
        self._event = None
        while pending and (pending[0].due <= now or not pending[0].active):
            deadline = pending.popleft()
            if deadline.active:
                deadline.active = False
                self._active -= 1
                item, deadline.item = deadline.item, None
                self.expire(item)
        if pending and self._event is None:
            self._event = self.kernel.schedule_at(pending[0].due, self._fire)
