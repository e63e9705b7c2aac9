"""A run's stream: its group name, the replay log writer, and the publisher to the channel layer.

Invariants (ARCHITECTURE.md): one sequence per run shared by every message type; an event is
written to the replay log (RunEvent) before it is published, so a consumer that joined the group
and then read the log misses nothing; the publisher sends events in sequence order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from tracer import protocol
from tracer.models import Run, RunEvent, Trace
from tracer.storage import insert_rows

log = logging.getLogger(__name__)

Event = tuple[int, str, str]  # seq, type, body


def group_name(run_id: int) -> str:
    return f"run-{run_id}"


class Publisher:
    """Sends events to the channel layer from one event loop in a thread of its own.

    The simulation hands over a list of events per batch and goes on at once; one coroutine
    sends them in order. A long backlog (a slow layer) makes ``publish`` wait, so memory stays
    bounded. One per process, shared by the runs it executes.
    """

    def __init__(self, backlog: int = 200) -> None:
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[tuple[int, list[Event]] | None] | None = None
        self._ready = threading.Event()
        self._backlog = backlog
        self._thread = threading.Thread(target=self._main, name="wiretap-publisher", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._queue = asyncio.Queue(maxsize=self._backlog)
        self._ready.set()
        self._loop.run_until_complete(self._send_forever())

    async def _send_forever(self) -> None:
        assert self._queue is not None
        layer = get_channel_layer()
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    continue
                run_id, events = item
                group = group_name(run_id)
                for seq, _kind, body in events:
                    await layer.group_send(group, protocol.layer_event(seq, body))
            except Exception:  # the log has the events: a client that missed them reads them there
                log.exception("could not publish events of run %s", item[0] if item else "?")
            finally:
                self._queue.task_done()

    def publish(self, run_id: int, events: list[Event]) -> None:
        assert self._queue is not None
        asyncio.run_coroutine_threadsafe(self._queue.put((run_id, events)), self._loop).result()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every event handed over so far has been sent."""
        assert self._queue is not None
        asyncio.run_coroutine_threadsafe(self._queue.join(), self._loop).result(timeout)


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            _publisher = Publisher()
        return _publisher


class EventLog:
    """Numbers a run's events, writes them to the replay log in bulk, then publishes them."""

    def __init__(self, run_id: int, last_seq: int, publish: Callable[[int, list[Event]], None]) -> None:
        self.run_id = run_id
        self.seq = last_seq
        self._publish = publish
        self._pending: list[Event] = []

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, message: protocol.ServerMessage) -> None:
        self._pending.append((message.seq, protocol.type_of(message), protocol.encode(message)))

    def flush(self, traces: list[Trace] | None = None, run_changes: dict[str, Any] | None = None) -> None:
        """In one transaction: the pending events, the trace rows, and ``run_changes`` with last_seq."""
        events, self._pending = self._pending, []
        if not events and not traces and not run_changes:
            return
        with transaction.atomic():
            if events:
                insert_rows(RunEvent, [RunEvent(run_id=self.run_id, seq=seq, type=kind, body=body)
                                       for seq, kind, body in events])
            if traces:
                insert_rows(Trace, traces)
            Run.objects.filter(pk=self.run_id).update(last_seq=self.seq, **(run_changes or {}))
        if events:
            self._publish(self.run_id, events)
