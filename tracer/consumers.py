"""The run stream, /ws/runs/<id>/?after=<seq>: the replay log, then live events, no gap, no duplicate.

``&replay=<speed>`` (1, 10, 100... or ``max``) on a run that is over replays its log instead,
paced by virtual time (tracer/replay.py); the client's control messages then set the replay's
speed and pause, and touch nothing stored. On a run still going, ``replay`` is ignored.

On connect the consumer accepts the handshake, then authorizes, in one database call with the
session lookup: a visitor who is not signed in is closed with 4401, and a run that does not exist
or is someone else's with 4404 (the same code, after the same query, as the HTTP API's 404 for
both). The owner's consumer joins the run's live feed (tracer/feeds.py: one member of the run's
group per process, which keeps the run's recent events), then a ``Follower`` (tracer/follower.py)
sends every logged event with seq > after, at least up to the run's last seq at connect, then
live events in seq order: a duplicate is dropped, a skip is filled from the feed or the log, and a
viewer that hears nothing for a second while the run is not over reads the log's tail itself, so
an event the layer dropped (the last ones included) costs a log read, never the event. Events are
logged before they are published, so the log always has them. Log reads are shared by the
process's viewers (tracer/logreader.py). On a run that is over, the log up to its last seq is the
whole stream.

The sending happens in a task of its own, so a disconnect is seen (and the task cancelled) even
in the middle of a long replay; a send that meets a socket already closing ends it quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from designer.services import InvalidInput
from tracer import feeds, protocol, services
from tracer.feeds import Feed, FeedLog
from tracer.follower import Follower, ViewerGone
from tracer.logreader import reader
from tracer.replay import Pacer, virtual_time

log = logging.getLogger(__name__)

CLOSE_SIGNED_OUT = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011
REPLAY_PAGE = 200


class RunConsumer(AsyncWebsocketConsumer):
    # No channel of its own: the run's feed receives live events once for every viewer of this
    # process (a layer receive per viewer and message was what 300 viewers cost Daphne).
    channel_layer_alias = None

    run_id: int
    user: Any = None
    feed: Feed | None = None
    follower: Follower | None = None
    pacer: Pacer | None = None
    sending: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        # Accepted before any database work, then closed with a code the page can read: a class
        # opening the page at once queues its session lookups, and a handshake that waited for
        # them would be refused by Daphne after 5 s.
        await self.accept()
        self.user, state = await database_sync_to_async(services.viewer_and_run)(self.scope["session"], self.run_id)
        if not self.user.is_authenticated:
            await self.close(CLOSE_SIGNED_OUT)
            return
        if state is None:
            await self.close(CLOSE_NOT_FOUND)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        after = _after(query)
        if state.status in services.OVER:
            if "replay" in query:
                self.pacer = Pacer(_replay_speed(query["replay"][-1]))
                self.sending = self._start(self._replay_paced(after, state.last_seq))
            else:  # nothing live will come: the log is the whole stream
                self.follower = Follower(self.run_id, after, self._send_text, reader())
                self.sending = self._start(self.follower.run(logged=state.last_seq, over=True))
            return
        self.feed = feeds.feed_for(self.run_id)
        self.follower = Follower(self.run_id, after, self._send_text, FeedLog(self.feed, reader()))
        self.feed.followers.add(self.follower)
        await self.feed.joined()  # in the group before the log is read
        self.sending = self._start(self._follow_live(self.follower, state.last_seq))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first closes stale database connections on its one shared thread, so
        # the handshake of a viewer would wait behind every session lookup queued there. This
        # consumer's database calls close their own (database_sync_to_async) instead.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.sending is not None:
            self.sending.cancel()
        self._unfollow()

    async def _follow_live(self, follower: Follower, logged: int) -> None:
        try:
            await follower.run(logged=logged)
        finally:
            self._unfollow()  # run.finished sent (or the viewer gone): nothing more is live

    def _unfollow(self) -> None:
        if self.feed is not None and self.follower is not None:
            feeds.leave(self.feed, self.follower)
            self.feed = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.follower is None and self.pacer is None:
            return
        try:
            message = protocol.decode_client(text_data or "")
            if self.pacer is not None:
                if isinstance(message, protocol.Control):
                    self.pacer.control(message.speed, message.paused)
                return  # a replay has nothing to cancel
            await database_sync_to_async(_apply)(self.user, self.run_id, message)
        except (protocol.BadMessage, InvalidInput) as bad:
            await self._send_quietly(protocol.encode_error(str(bad)))

    def _start(self, sending: Any) -> asyncio.Task[None]:
        return asyncio.ensure_future(self._sending(sending))

    async def _sending(self, sending: Any) -> None:
        try:
            await sending
        except ViewerGone:
            pass  # the viewer left mid-send: nothing to tell anyone
        except Exception:
            # A database that went away: the page reconnects from its last seq.
            log.exception("the stream of run %s stopped", self.run_id)
            await self._close_quietly(CLOSE_SERVER_ERROR)

    async def _send_text(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Disconnected:  # Daphne (autobahn): the socket is closing
            raise ViewerGone from None

    async def _send_quietly(self, text: str) -> None:
        with contextlib.suppress(ViewerGone):
            await self._send_text(text)

    async def _close_quietly(self, code: int) -> None:
        with contextlib.suppress(Disconnected):
            await self.close(code)

    async def _replay_paced(self, after: int, last_seq: int) -> None:
        assert self.pacer is not None
        log_reader, last_sent = reader(), after
        while True:
            page = await log_reader.events(self.run_id, last_sent, last_seq, REPLAY_PAGE)
            for seq, _kind, body in page:
                await self.pacer.until(virtual_time(body))
                await self._send_text(body)
                last_sent = seq
            if len(page) < REPLAY_PAGE:
                return


def _after(query: dict[str, list[str]]) -> int:
    try:
        return max(0, int(query.get("after", ["0"])[-1]))
    except ValueError:
        return 0


def _replay_speed(text: str) -> float | None:
    """Virtual s per wall s; None: as fast as possible ("max"). An unusable value replays at x10,
    the page's default."""
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        return 10.0
    return speed if math.isfinite(speed) and speed > 0 else 10.0


def _apply(user: Any, run_id: int, message: protocol.ClientMessage) -> None:
    run = services.run_of(user, run_id)
    if isinstance(message, protocol.Cancel):
        services.cancel_run(run)
    else:
        services.control_run(run, message.speed, message.paused)
