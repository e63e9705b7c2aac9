"""Replaying a finished run: its logged events again, paced by their virtual time.

A replay is the same stream as a live run (the same messages, the same seq numbers, the same page
code), read from the replay log instead of the channel layer, and sent when the virtual clock,
running at the chosen speed from the first event, reaches each event's time:

- ``run.metrics``: the sample's ``t``;
- ``run.segments``: the latest end (or start) of its segments: a segment is sent when it ends;
- ``run.status``: its ``virtual_seconds``;
- ``run.traces`` and ``run.finished`` carry no time: they go with the event before them.

The virtual time never goes back (an event earlier than the previous one goes at once). Speed and
pause can change during the replay (the page's toolbar): the clock is re-anchored where it stands.
The wall clock and the sleep are parameters, so the tests never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from emulator.tracing import EPOCH

# How long a paused replay sleeps between looks at the pause (a resume wakes it at once anyway).
PAUSED_POLL_S = 0.5


class _Times(msgspec.Struct):
    type: str
    virtual_seconds: float | None = None


class _Span(msgspec.Struct):
    start_time: float
    end_time: float | None = None


class _Segments(msgspec.Struct):
    segments: list[_Span]


class _Sample(msgspec.Struct):
    t: float


class _Metrics(msgspec.Struct):
    sample: _Sample


_decode_head = msgspec.json.Decoder(_Times).decode
_decode_segments = msgspec.json.Decoder(_Segments).decode
_decode_metrics = msgspec.json.Decoder(_Metrics).decode


def virtual_time(body: str) -> float | None:
    """The virtual second an event belongs at (None: it has no time of its own)."""
    head = _decode_head(body)
    if head.type == "run.segments":
        spans = _decode_segments(body).segments
        return max(span.end_time if span.end_time is not None else span.start_time for span in spans) - EPOCH \
            if spans else None
    if head.type == "run.metrics":
        return _decode_metrics(body).sample.t
    if head.type == "run.status":
        return head.virtual_seconds
    return None


class Pacer:
    """When each event of a replay goes out, at ``speed`` virtual seconds per wall second (None: as
    fast as possible), paused or not."""

    def __init__(self, speed: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.speed = speed
        self.paused = False
        self.virtual = 0.0  # the virtual time reached so far
        self._clock = clock
        self._sleep = sleep
        self._anchor_wall = clock()
        self._anchor_virtual = 0.0
        self._changed = asyncio.Event()

    def control(self, speed: float | None, paused: bool) -> None:
        self._anchor_wall = self._clock()
        self._anchor_virtual = self.virtual
        self.speed = speed
        self.paused = paused
        self._changed.set()

    async def until(self, virtual: float | None) -> None:
        """Return when the replay's clock reaches ``virtual`` (at once for None or the past)."""
        while True:
            if self.paused:
                await self._wait_for_change(PAUSED_POLL_S)
                continue
            if virtual is None or virtual <= self.virtual:
                return
            if self.speed is None:
                self.virtual = virtual
                return
            due = self._anchor_wall + (virtual - self._anchor_virtual) / self.speed
            wait = due - self._clock()
            if wait <= 0:
                self.virtual = virtual
                return
            await self._wait_for_change(wait)

    async def _wait_for_change(self, seconds: float) -> None:
        self._changed.clear()
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        changed = asyncio.ensure_future(self._changed.wait())
        _, pending = await asyncio.wait((sleeping, changed), return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
