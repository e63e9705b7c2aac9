"""Reads of runs' replay logs for the WebSocket consumers of one process: shared, and off the
thread that Channels runs everything else's database work on.

Viewers of one run fall behind together: channels_redis keeps one queue per Daphne process, so
an event dropped past its capacity is missing for every viewer in that process at once, and
each of them then asks the log for the same events within milliseconds. A read that is in
flight, or that ended less than ``memo_s`` ago, answers every consumer asking the same question;
the database sees one query a process instead of one a viewer. The log is append-only, so an
earlier answer is still true: at worst it ends before events logged since, which the next read
(or the live stream) brings.

The reads run on a small pool of threads of their own, so that a long replay never delays the
session lookups of new connections (Channels' one shared thread for database calls).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync

from tracer import services
from tracer.protocol import LoggedEvent

T = TypeVar("T")

# A range of events read is shared for this long (s): the viewers of a process that fell
# behind together ask for it within a few milliseconds of each other.
EVENTS_MEMO_S = 2.0
# The seq of a run's last logged event is shared for this long (s): stalled or idle viewers
# ask for it every second each; the database is asked at most this often per run and process.
LAST_SEQ_MEMO_S = 0.5
# At most this many answers are kept (each is at most a page of events).
MEMO_ENTRIES = 64
READ_THREADS = 2

_executor = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="wiretap-log-read")


class LogReader:
    """One per event loop (``reader()``): its in-flight reads are futures of that loop."""

    def __init__(self, *, events_memo_s: float = EVENTS_MEMO_S, last_seq_memo_s: float = LAST_SEQ_MEMO_S,
                 clock: Callable[[], float] = time.monotonic,
                 read_events: Callable[..., list[LoggedEvent]] = services.events_after,
                 read_last_seq: Callable[[int], int] = services.last_seq) -> None:
        self._events_memo_s = events_memo_s
        self._last_seq_memo_s = last_seq_memo_s
        self._clock = clock
        self._read_events = read_events
        self._read_last_seq = read_last_seq
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}
        self._answers: OrderedDict[Hashable, tuple[float, float, Any]] = OrderedDict()  # key: (at, memo_s, answer)
        self.queries = 0  # how many reads reached the database

    async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
        """The run's events with after < seq <= upto (None: the latest), in order, at most ``limit``."""
        answer: list[LoggedEvent] = await self._shared(("events", run_id, after, upto, limit), self._events_memo_s,
                                                       self._read_events, run_id, after, upto, limit)
        return answer

    async def last_seq(self, run_id: int) -> int:
        answer: int = await self._shared(("last_seq", run_id), self._last_seq_memo_s, self._read_last_seq, run_id)
        return answer

    async def _shared(self, key: Hashable, memo_s: float, read: Callable[..., T], *args: Any) -> T:
        now = self._clock()
        self._forget(now)
        kept = self._answers.get(key)
        if kept is not None:
            answer: T = kept[2]
            return answer
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._read(key, memo_s, read, *args))
            self._pending[key] = pending
        # Shielded: a viewer that leaves while waiting does not cancel the others' read.
        shared: T = await asyncio.shield(pending)
        return shared

    async def _read(self, key: Hashable, memo_s: float, read: Callable[..., T], *args: Any) -> T:
        try:
            self.queries += 1
            answer: T = await DatabaseSyncToAsync(read, thread_sensitive=False, executor=_executor)(*args)
            self._answers[key] = (self._clock(), memo_s, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > MEMO_ENTRIES:
                self._answers.popitem(last=False)
            return answer
        finally:
            del self._pending[key]

    def _forget(self, now: float) -> None:
        for key, (at, memo_s, _) in list(self._answers.items()):
            if now - at >= memo_s:
                del self._answers[key]


_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LogReader] = weakref.WeakKeyDictionary()


def reader() -> LogReader:
    """The running loop's reader (Daphne has one loop; each test's loop gets its own)."""
    loop = asyncio.get_running_loop()
    found = _readers.get(loop)
    if found is None:
        found = _readers[loop] = LogReader()
    return found
