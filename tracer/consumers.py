"""The run stream, /ws/runs/<id>/?after=<seq>: the replay log, then live events, no gap, no duplicate.

``&replay=<speed>`` (1, 10, 100... or ``max``) on a run that is over replays its log instead,
paced by virtual time (tracer/replay.py); the client's control messages then set the replay's
speed and pause, and touch nothing stored. On a run still going, ``replay`` is ignored.

On connect the consumer authorizes: a visitor who is not signed in is closed with 4401, and a
run that does not exist or is someone else's with 4404 (the same code, after the same query, as
the HTTP API's 404 for both). The owner's consumer joins the run's group, then sends every
logged event with seq > after. Live events then go out only if their seq is above the last one
sent (a duplicate of the replay is dropped); one that skips numbers (the layer dropped some, or
they were published before the join but logged after the read) has the missing ones read from
the log first. Events are logged before they are published, so the log always has them.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from designer.services import InvalidInput
from tracer import protocol, services
from tracer.replay import Pacer, virtual_time
from tracer.stream import group_name

CLOSE_SIGNED_OUT = 4401
CLOSE_NOT_FOUND = 4404
REPLAY_PAGE = 1000


class RunConsumer(AsyncWebsocketConsumer):
    run_id: int
    group: str | None = None
    last_sent: int = 0
    pacer: Pacer | None = None
    replaying: asyncio.Task[None] | None = None

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
        self.last_sent = _after(query)
        if "replay" in query and status in services.OVER:
            self.pacer = Pacer(_replay_speed(query["replay"][-1]))
            self.replaying = asyncio.ensure_future(self._replay_paced())
            return
        self.group = group_name(self.run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._replay(upto=None)

    async def disconnect(self, code: int) -> None:
        if self.replaying is not None:
            self.replaying.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def run_event(self, event: dict[str, Any]) -> None:
        seq = event["seq"]
        if seq <= self.last_sent:
            return
        if seq > self.last_sent + 1:
            await self._replay(upto=seq - 1)
        await self.send(text_data=event["body"])
        self.last_sent = seq

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.group is None and self.pacer is None:
            return
        try:
            message = protocol.decode_client(text_data or "")
            if self.pacer is not None:
                if isinstance(message, protocol.Control):
                    self.pacer.control(message.speed, message.paused)
                return  # a replay has nothing to cancel
            await database_sync_to_async(_apply)(self.scope["user"], self.run_id, message)
        except (protocol.BadMessage, InvalidInput) as bad:
            await self.send(text_data=protocol.encode_error(str(bad)))

    async def _replay(self, upto: int | None) -> None:
        while True:
            page = await database_sync_to_async(services.events_after)(self.run_id, self.last_sent, upto, REPLAY_PAGE)
            for seq, body in page:
                await self.send(text_data=body)
                self.last_sent = seq
            if len(page) < REPLAY_PAGE:
                return


    async def _replay_paced(self) -> None:
        assert self.pacer is not None
        while True:
            page = await database_sync_to_async(services.events_after)(self.run_id, self.last_sent, None, REPLAY_PAGE)
            for seq, body in page:
                await self.pacer.until(virtual_time(body))
                await self.send(text_data=body)
                self.last_sent = seq
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
