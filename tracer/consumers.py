"""The run stream, /ws/runs/<id>/?after=<seq>: the replay log, then live events, no gap, no duplicate.

``&replay=<speed>`` (1, 10, 100... or ``max``) on a run that is over replays its log instead,
paced by virtual time (tracer/replay.py); the client's control messages then set the replay's
speed and pause, and touch nothing stored. On a run still going, ``replay`` is ignored.

On connect the consumer authorizes: a visitor who is not signed in is closed with 4401, and a
run that does not exist or is someone else's with 4404 (the same code, after the same query, as
the HTTP API's 404 for both). The owner's consumer joins the run's group, then a ``Follower``
(tracer/follower.py) sends every logged event with seq > after, then live events in seq order:
a duplicate is dropped, a skip is filled from the log, and a viewer that hears nothing for a
second while the run is not over reads the log's tail itself, so an event the layer dropped (the
last ones included) costs a log read, never the event. Events are logged before they are
published, so the log always has them. Log reads are shared by the process's viewers
(tracer/logreader.py).

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
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from designer.services import InvalidInput
from tracer import protocol, services
from tracer.follower import Follower, ViewerGone
from tracer.logreader import reader
from tracer.replay import Pacer, virtual_time
from tracer.stream import group_name

log = logging.getLogger(__name__)

CLOSE_SIGNED_OUT = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011
REPLAY_PAGE = 200
LIVE_EVENTS = protocol.layer_events([])["type"]


class RunConsumer(AsyncWebsocketConsumer):
    run_id: int
    group: str | None = None
    follower: Follower | None = None
    pacer: Pacer | None = None
    sending: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        user = self.scope["user"]
        await self.accept()  # then close with a code the page can read
        if not user.is_authenticated:
            await self.close(CLOSE_SIGNED_OUT)
            return
        status = await database_sync_to_async(services.status_for_owner)(user.pk, self.run_id)
        if status is None:
            await self.close(CLOSE_NOT_FOUND)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        after = _after(query)
        if status in services.OVER:
            if "replay" in query:
                self.pacer = Pacer(_replay_speed(query["replay"][-1]))
                self.sending = self._start(self._replay_paced(after))
            else:  # nothing live will come: the log is the whole stream
                self.follower = Follower(self.run_id, after, self._send_text, reader())
                self.sending = self._start(self.follower.run(replay_only=True))
            return
        self.group = group_name(self.run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.follower = Follower(self.run_id, after, self._send_text, reader())
        self.sending = self._start(self.follower.run())

    async def disconnect(self, code: int) -> None:
        if self.sending is not None:
            self.sending.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first closes stale database connections on its one shared thread: a
        # thread hop for every event and viewer, which with 300 viewers left new connections'
        # session lookups queued behind thousands of them. Live events touch no database.
        if message["type"] == LIVE_EVENTS:
            await self.run_events(message)
        else:
            await super().dispatch(message)

    async def run_events(self, message: dict[str, Any]) -> None:
        """Live events from the run's group: handed over at once, so the layer's queue never waits."""
        if self.follower is not None:
            self.follower.offer((seq, kind, body) for seq, kind, body in message["events"])

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.follower is None and self.pacer is None:
            return
        try:
            message = protocol.decode_client(text_data or "")
            if self.pacer is not None:
                if isinstance(message, protocol.Control):
                    self.pacer.control(message.speed, message.paused)
                return  # a replay has nothing to cancel
            await database_sync_to_async(_apply)(self.scope["user"], self.run_id, message)
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

    async def _replay_paced(self, after: int) -> None:
        assert self.pacer is not None
        log_reader, last_sent = reader(), after
        while True:
            page = await log_reader.events(self.run_id, last_sent, None, REPLAY_PAGE)
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
