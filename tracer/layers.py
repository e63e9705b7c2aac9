"""The embedded mode's channel layer: Channels' InMemoryChannelLayer, safe to send to from a thread.

In embedded mode the Celery worker runs in a thread of the console's process and publishes
from its own event loop, while each WebSocket consumer waits for its messages on Daphne's.
InMemoryChannelLayer's queues are asyncio queues: putting into one from another loop would set
the waiting consumer's future from the wrong thread, and the consumer would sleep until
something else woke Daphne's loop. This layer remembers the loop each channel is received on,
and a send from any other loop is handed to that loop (``run_coroutine_threadsafe``).

A group send goes to each receiving loop in one hop for all of that loop's members (not one
hop per viewer: 300 viewers would make every event 300 round trips through a busy loop), and
the layer's bookkeeping (expiry, groups) is touched on that loop only. Like channels_redis, it
drops a message for a full queue; the consumers recover it from the replay log.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class EmbeddedChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._receiver_loops: dict[str, asyncio.AbstractEventLoop] = {}

    async def receive(self, channel: str) -> Any:
        self._receiver_loops[channel] = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        home = self._home(channel)
        if home is asyncio.get_running_loop():
            await super().send(channel, message)
            return
        send = super().send(channel, message)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send, home))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        here = asyncio.get_running_loop()
        by_loop: dict[asyncio.AbstractEventLoop, list[str]] = {}
        for channel in tuple(self.groups.get(group, ())):
            by_loop.setdefault(self._home(channel), []).append(channel)
        for loop, channels in by_loop.items():
            sends = self._send_all(channels, message)
            if loop is here:
                await sends
            else:
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(sends, loop))

    async def group_discard(self, group: str, channel: str) -> None:
        self._receiver_loops.pop(channel, None)
        await super().group_discard(group, channel)

    def _home(self, channel: str) -> asyncio.AbstractEventLoop:
        """The loop the channel is received on; the caller's when none is known (or it is gone)."""
        home = self._receiver_loops.get(channel)
        if home is None or home.is_closed():
            return asyncio.get_running_loop()
        return home

    async def _send_all(self, channels: list[str], message: dict[str, Any]) -> None:
        self._clean_expired()
        for channel in channels:
            with contextlib.suppress(ChannelFull):  # the consumer reads it from the replay log
                await InMemoryChannelLayer.send(self, channel, message)
