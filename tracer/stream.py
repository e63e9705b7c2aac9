"""A run's stream: its group name, the replay log writer, and the publisher to the channel layer.

Invariants (ARCHITECTURE.md): one sequence per run shared by every message type; an event is
written to the replay log (RunEvent) before it is published, so a consumer that joined the group
and then read the log misses nothing; the publisher sends events in sequence order.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import F

from tracer import protocol
from tracer.models import Run, RunEvent, Trace
from tracer.storage import EventRow, TraceRow, insert_rows

log = logging.getLogger(__name__)

Event = protocol.LoggedEvent  # seq, type, body
# A layer message carries the events of one write up to about this many bytes of bodies (one
# event at least): few messages against the layer's capacity, none of them huge.
LAYER_MESSAGE_BYTES = 1_000_000
Job = tuple[list[Event], list[TraceRow], int]  # what one flush writes: its events, trace rows and their bytes


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
                for chunk in layer_chunks(events):
                    await layer.group_send(group, protocol.layer_events(chunk))
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


def layer_chunks(events: list[Event], limit: int = LAYER_MESSAGE_BYTES) -> list[list[Event]]:
    """The events in order, in runs of at most ``limit`` bytes of bodies (an event alone may pass it)."""
    chunks: list[list[Event]] = []
    size = 0
    for event in events:
        if not chunks or size + len(event[2]) > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += len(event[2])
    return chunks


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            _publisher = Publisher()
        return _publisher


class EventLog:
    """Numbers a run's events, writes them to the replay log in bulk, then publishes them.

    With ``background``, the writes of a running run (``flush`` without ``run_changes``) go to a
    ``Writer`` thread, so the simulation goes on while the database works; a flush that changes
    the Run row (the run's end) first waits for the writer, then writes on the caller's thread.
    Without it (a caller inside a transaction, whose rows another connection could not see), every
    flush writes at once on the caller's connection.

    ``bytes_written`` counts the JSON text flushed (event bodies, trace segments), and every write
    adds its share to ``Run.stored_bytes`` in the same transaction.
    """

    def __init__(self, run_id: int, last_seq: int, publish: Callable[[int, list[Event]], None], *,
                 background: bool = False) -> None:
        self.run_id = run_id
        self.seq = last_seq
        self._publish = publish
        self._pending: list[Event] = []
        self.bytes_written = 0
        self._writer = Writer(self._write) if background else None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, message: protocol.ServerMessage) -> None:
        self._pending.append((message.seq, protocol.type_of(message), protocol.encode(message)))

    def flush(self, traces: list[TraceRow] | None = None, run_changes: dict[str, Any] | None = None,
              stored_elsewhere: int = 0) -> None:
        """In one transaction: the pending events, the trace rows, and ``run_changes`` with last_seq
        and stored_bytes (plus ``stored_elsewhere``: bytes the caller wrote itself)."""
        events, self._pending = self._pending, []
        if not events and not traces and not run_changes and not stored_elsewhere:
            return
        size = stored_size(events, traces or []) + stored_elsewhere
        self.bytes_written += size
        if self._writer is not None:
            if not run_changes:
                self._writer.submit((events, traces or [], size))
                return
            self._writer.drain()
        self._write([(events, traces or [], size)], run_changes)

    def drain(self) -> None:
        """Wait until everything flushed so far is written and published (raises what the writer hit)."""
        if self._writer is not None:
            self._writer.drain()

    def close(self) -> None:
        """Stop the writer (what it holds is written first); later flushes write on the caller's
        thread. The writer's error, if any, is not raised again."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write(self, batches: list[Job], run_changes: dict[str, Any] | None = None) -> None:
        events = [event for batch_events, _, _ in batches for event in batch_events]
        size = sum(batch_size for _, _, batch_size in batches)
        with transaction.atomic():
            if events:
                insert_rows(RunEvent, [EventRow(self.run_id, seq, kind, body) for seq, kind, body in events])
            for _, traces, _ in batches:
                insert_rows(Trace, traces)
            changes = dict(run_changes or {})
            if events:
                changes["last_seq"] = events[-1][0]
            if size:
                changes["stored_bytes"] = F("stored_bytes") + size
            if changes:
                Run.objects.filter(pk=self.run_id).update(**changes)
            if events:
                # Log before publish: a caller's outer transaction (the run's end, a cancel)
                # commits first; without one, this runs as the block above commits.
                transaction.on_commit(partial(self._publish, self.run_id, events))


def stored_size(events: list[Event], traces: list[TraceRow]) -> int:
    """The JSON text that events and trace rows store (their bodies and segments; the rest of a
    row is small beside them)."""
    return sum(len(body) for _, _, body in events) + sum(len(row.segments) for row in traces)


class Writer:
    """A thread that writes a run's batches in order, with its own database connection.

    The jobs queue is short (``depth``), so a slow database slows the simulation down instead of
    filling memory. When several jobs wait, they go in one transaction (one commit, one wait).
    The first error stops the writing: ``submit`` and ``drain`` raise it on the caller's thread,
    and nothing after it is written (the replay log keeps no gap).
    """

    def __init__(self, write: Callable[[list[Job]], None], depth: int = 8) -> None:
        self._write = write
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="wiretap-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._raise()
        self._jobs.put(job)

    def drain(self) -> None:
        self._jobs.join()
        self._raise()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        try:
            while True:
                first = self._jobs.get()
                jobs = [first]
                while not self._jobs.empty() and jobs[-1] is not None:
                    jobs.append(self._jobs.get_nowait())
                work = [job for job in jobs if job is not None]
                try:
                    if work and self._error is None:
                        self._write(work)
                except BaseException as error:  # handed to the simulation's thread
                    self._error = error
                finally:
                    for _ in jobs:
                        self._jobs.task_done()
                if jobs[-1] is None:
                    return
        finally:
            connection.close()  # this thread's own
