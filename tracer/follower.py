"""One viewer's live stream: the log after its last seq, then live events, each once and in order,
to ``run.finished``, whatever the channel layer delivers.

The layer is a fast path, not a promise: channels_redis drops a message past a queue's capacity
or after its expiry, the in-memory layer drops one for a full queue, and either can lose the
last events of a run, after which nothing would arrive to reveal the loss. So:

- a live event is sent only if its seq is the next one; a duplicate is dropped; one that skips
  numbers has the missing ones read from the log first;
- when no event has arrived for ``stall_s`` and ``run.finished`` has not been sent, the viewer
  asks the log for its last seq (shared by the process's viewers, tracer/logreader.py) and reads
  what it has not sent: a dropped tail costs a log read, never an event;
- live events wait in a bounded backlog; past it, the oldest go (the log has them), so a viewer
  that cannot keep up catches up from the log instead of holding memory.

Nothing here knows Channels: the consumer hands over what the layer brings (``offer``) and a
``send`` that raises ``ViewerGone`` when the socket is closed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from tracer.protocol import LoggedEvent

# How long a live viewer waits without any event before it asks the log (s). A running run sends
# something every 100 ms to 1 s of wall time; a paused or queued one costs a shared query a second.
STALL_S = 1.0
# Live events a viewer holds before it starts dropping the oldest (they are in the log).
LIVE_BACKLOG = 500
# Events read from the log at a time.
PAGE = 200
FINISHED = "run.finished"


class ViewerGone(Exception):
    """The viewer's socket closed while something was being sent to it."""


class Log(Protocol):
    async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]: ...

    async def last_seq(self, run_id: int) -> int: ...


class Follower:
    def __init__(self, run_id: int, after: int, send: Callable[[str], Awaitable[None]], log: Log, *,
                 stall_s: float = STALL_S, backlog: int = LIVE_BACKLOG, page: int = PAGE) -> None:
        self.run_id = run_id
        self.last_sent = after
        self.finished = False
        self._send_text = send
        self._log = log
        self._stall_s = stall_s
        self._backlog = backlog
        self._page = page
        self._live: deque[LoggedEvent] = deque()
        self._arrived = asyncio.Event()
        self.stats = {"live": 0, "from_log": 0, "dropped_backlog": 0, "stalls": 0}

    def offer(self, events: Iterable[LoggedEvent]) -> None:
        """Live events from the layer (any order, duplicates allowed); never waits."""
        for event in events:
            if event[0] > self.last_sent:
                self._live.append(event)
        while len(self._live) > self._backlog:
            self._live.popleft()
            self.stats["dropped_backlog"] += 1
        if self._live:
            self._arrived.set()

    async def run(self, *, logged: int, over: bool = False) -> None:
        """Send the log after ``after``, then live events until ``run.finished`` is sent.

        ``logged``: the run's last seq when the viewer came; everything up to it is sent before
        anything live (a page another viewer read a moment ago, shared, may end before it).
        ``over``: the run had ended then: the log up to ``logged`` is the whole stream."""
        if not over:
            await self._catch_up(None)  # the pages this process's other viewers read too
        await self._catch_up(logged)
        if over:
            return
        while not self.finished:
            try:
                await asyncio.wait_for(self._arrived.wait(), self._stall_s)
            except TimeoutError:
                self.stats["stalls"] += 1
                await self._catch_up(await self._log.last_seq(self.run_id))
                continue
            self._arrived.clear()
            await self._send_live()

    async def _send_live(self) -> None:
        while self._live and not self.finished:
            seq, kind, body = self._live.popleft()
            if seq <= self.last_sent:
                continue  # a duplicate, or filled from the log meanwhile
            if seq > self.last_sent + 1:
                await self._catch_up(seq - 1)
            if seq == self.last_sent + 1:
                await self._send(seq, kind, body)
                self.stats["live"] += 1

    async def _catch_up(self, upto: int | None) -> None:
        """Send the logged events after the last one sent, up to ``upto`` (None: all there are)."""
        while not self.finished and (upto is None or self.last_sent < upto):
            page = await self._log.events(self.run_id, self.last_sent, upto, self._page)
            for seq, kind, body in page:
                if seq != self.last_sent + 1:
                    return  # never a gap: what is missing comes with a later read
                await self._send(seq, kind, body)
                self.stats["from_log"] += 1
            if len(page) < self._page:
                return
            await asyncio.sleep(0)  # a long replay lets the process's other viewers go on

    async def _send(self, seq: int, kind: str, body: str) -> None:
        await self._send_text(body)
        self.last_sent = seq
        if kind == FINISHED:
            self.finished = True
