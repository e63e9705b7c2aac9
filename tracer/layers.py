"""The embedded mode's channel layer: Channels' InMemoryChannelLayer, safe to send to from a thread.

In embedded mode the Celery worker runs in a thread of the console's process and publishes
from its own event loop, while each WebSocket consumer waits for its messages on Daphne's.
InMemoryChannelLayer's queues are asyncio queues: putting into one from another loop would set
the waiting consumer's future from the wrong thread, and the consumer would sleep until
something else woke Daphne's loop. This layer remembers the loop each channel is received on,
and a send from any other loop is handed to that loop (``run_coroutine_threadsafe``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer


class EmbeddedChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._receiver_loops: dict[str, asyncio.AbstractEventLoop] = {}

    async def receive(self, channel: str) -> Any:
        self._receiver_loops[channel] = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        home = self._receiver_loops.get(channel)
        if home is None or home.is_closed() or home is asyncio.get_running_loop():
            await super().send(channel, message)
            return
        send = super().send(channel, message)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send, home))

    async def group_discard(self, group: str, channel: str) -> None:
        self._receiver_loops.pop(channel, None)
        await super().group_discard(group, channel)
