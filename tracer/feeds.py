"""A run's live events for the viewers of one process: one member of the run's group per process,
not one per viewer, and the run's recent events kept for them in memory.

Each consumer receiving from the channel layer on its own cost channels_redis's receive
machinery (tasks, a lock, a buffer per consumer) for every message and viewer: with 300 viewers
that was what Daphne spent its time on. A ``Feed`` joins the run's group with one channel while
any viewer of this process watches the run, receives each message once, and hands its events to
every viewer's ``Follower`` (``offer`` never waits).

It also keeps the run's recent events (up to ``RECENT_BYTES`` of bodies), so that what a viewer
must catch up on (the start of the run when it joins late, a gap, a backlog it dropped) comes from
memory when the process has seen it, and from the log (``FeedLog`` asks the process's shared
``LogReader``) only for what it has not; what the log answers is kept too, for the next viewer.

Should its receiving fail (Redis restarting), it logs, waits a moment and joins again; meanwhile
the followers read the log when they hear nothing, so no viewer loses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer

from tracer.follower import Follower
from tracer.logreader import LogReader
from tracer.protocol import LoggedEvent
from tracer.stream import group_name

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1.0
# The recent events a feed keeps, in bytes of bodies (the oldest go first): a run at x1 streams
# a few megabytes a minute; as fast as possible, a batch of 500 segments is some 100-250 KB.
RECENT_BYTES = 32 * 1024 * 1024


class Feed:
    def __init__(self, run_id: int, recent_bytes: int = RECENT_BYTES) -> None:
        self.run_id = run_id
        self.followers: set[Follower] = set()
        self.newest = 0  # the highest seq kept
        self._recent: dict[int, LoggedEvent] = {}
        self._order: deque[int] = deque()
        self._bytes = 0
        self._limit = recent_bytes
        self._joined = asyncio.Event()
        self._task = asyncio.ensure_future(self._receive())

    async def joined(self) -> None:
        """Wait until the feed is in the run's group (so what is published from now on reaches it)."""
        await self._joined.wait()

    def close(self) -> None:
        self._task.cancel()

    async def closed(self) -> None:
        """Wait until a closed feed has left the run's group."""
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def keep(self, events: Iterable[LoggedEvent]) -> None:
        for event in events:
            seq = event[0]
            if seq in self._recent:
                continue
            self._recent[seq] = event
            self._order.append(seq)
            self._bytes += len(event[2])
            self.newest = max(self.newest, seq)
        while self._bytes > self._limit and self._order:
            self._bytes -= len(self._recent.pop(self._order.popleft())[2])

    def kept(self, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
        """The kept events from after + 1 on, without a gap, up to ``upto`` and ``limit``."""
        page: list[LoggedEvent] = []
        seq = after + 1
        while len(page) < limit and (upto is None or seq <= upto) and seq in self._recent:
            page.append(self._recent[seq])
            seq += 1
        return page

    async def _receive(self) -> None:
        layer = get_channel_layer()
        group = group_name(self.run_id)
        while True:
            channel = await layer.new_channel()
            try:
                await layer.group_add(group, channel)
                self._joined.set()
                while True:
                    message: dict[str, Any] = await layer.receive(channel)
                    events = [(seq, kind, body) for seq, kind, body in message["events"]]
                    self.keep(events)
                    for follower in self.followers:
                        follower.offer(events)
            except asyncio.CancelledError:
                await asyncio.shield(layer.group_discard(group, channel))
                raise
            except Exception:
                log.exception("the live feed of run %s failed; its viewers read the log meanwhile", self.run_id)
                self._joined.set()  # the followers do not wait for a layer that is not there
                await asyncio.sleep(RETRY_AFTER_S)


class FeedLog:
    """A follower's view of the log: the feed's kept events first, the shared reader for the rest."""

    def __init__(self, feed: Feed, reader: LogReader) -> None:
        self._feed = feed
        self._reader = reader

    async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
        page = self._feed.kept(after, upto, limit)
        end = page[-1][0] if page else after
        if len(page) == limit or end == upto or (upto is None and page and end == self._feed.newest):
            return page  # an open read ends at the newest event here; the follower asks for the rest
        rest = await self._reader.events(run_id, end, upto, limit - len(page))
        self._feed.keep(rest)
        return page + rest

    async def last_seq(self, run_id: int) -> int:
        return await self._reader.last_seq(run_id)


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Feed]] = weakref.WeakKeyDictionary()


def feed_for(run_id: int) -> Feed:
    """The run's feed in this process (a new one joins the run's group: ``await feed.joined()``).
    Add the follower at once (``feed.followers.add``), before anything can close the feed."""
    feeds = _feeds.setdefault(asyncio.get_running_loop(), {})
    feed = feeds.get(run_id)
    if feed is None:
        feed = feeds[run_id] = Feed(run_id)
    return feed


def leave(feed: Feed, follower: Follower) -> None:
    """The follower hears nothing more; the feed closes with its last follower."""
    feed.followers.discard(follower)
    feeds = _feeds.get(asyncio.get_running_loop(), {})
    if not feed.followers and feeds.get(feed.run_id) is feed:
        feed.close()
        del feeds[feed.run_id]
