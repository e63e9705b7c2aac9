"""Executing one claimed run: the emulator under LiveRun, its segments stored and streamed.

Between slices (of virtual time, and of at most ``EVENTS_PER_SLICE`` events, so that a flood
cannot hold them off) LiveRun asks ``_tick`` for the controls (at most every 0.1 s of wall
time). ``_tick`` hands the tracer's partial batch over when 100 ms have passed since the last
one, reads the Run row's speed, paused and cancel_requested every 0.25 s, and beats the heart
every few seconds. Every heartbeat and the final write are conditional on the run still being
``running``: a run that the repair failed meanwhile (this worker was presumed dead), or that
anyone else ended, stops here with ``RunLost``, and the unique (run, seq) constraint refuses any
event it would number after the repair's.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import msgspec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from emulator.live import Controls, LiveRun, Sample
from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import BatchTracer, Segment
from emulator.volume import message_size
from emulator.workload import load_workload
from tracer import protocol
from tracer.limits import Budget, Reached
from tracer.models import Run
from tracer.storage import TraceRow, TraceStore
from tracer.stream import Event, EventLog

log = logging.getLogger(__name__)

encode = msgspec.json.Encoder().encode
SEGMENTS_PER_EVENT = 500
# A batch of segments carries some 4 MB at most: with big messages (each segment showing one carries
# it), fewer segments, so that the limits are checked, and memory held, a few megabytes at a time.
EVENT_BYTES = 4_000_000
FLUSH_EVERY_S = 0.1
POLL_EVERY_S = 0.25
# Kernel events between two looks at the controls, heartbeat and limits (some 10-50 ms of work).
EVENTS_PER_SLICE = 2_000
# A paced run shows what finished before it sleeps, but at most this often: a flush before every
# sleep made an event of nearly every segment at x1 (80 events a second for 20 messages), each
# one a send per viewer.
PAUSE_FLUSH_EVERY_S = 0.05


class RunLost(Exception):
    """The run is no longer this worker's (the repair marked it failed, or someone ended it)."""


class Execution:
    """``background``: the replay log and the trace rows are written by a thread of their own
    (``stream.Writer``) while the simulation goes on; the caller must not hold a transaction open."""

    def __init__(self, run: Run, publish: Any, *, background: bool = False, clock: Any = time.monotonic,
                 sleep: Any = time.sleep) -> None:
        self.run_id = run.pk
        self.events = EventLog(run.pk, run.last_seq, publish, background=background)
        self.traces = TraceStore(run.pk, run.seed, settings.WIRETAP_TRACE_CAP)
        self.segments_seen = 0
        self.controls = Controls(speed=run.speed, paused=run.paused, cancelled=run.cancel_requested)
        self._clock = clock
        self._sleep = sleep
        self._last_flush = self._last_poll = self._last_beat = clock()
        self.run = run
        self.tracer = BatchTracer(self._deliver, SEGMENTS_PER_EVENT)  # _build sizes it for the messages
        self.simulation: Simulation | None = None
        self.live: LiveRun | None = None
        self.budget = Budget.of(run)
        self.limit: Reached | None = None  # the limit the run reached, which stops it

    def _build(self) -> LiveRun:
        run = self.run
        topology = load_topology(run.document)
        workload = load_workload(run.workload, topology)
        largest = max((message_size(source) for source in workload.sources), default=0)
        self.tracer = BatchTracer(self._deliver, max(10, min(SEGMENTS_PER_EVENT, EVENT_BYTES // max(largest, 1))))
        simulation = Simulation(topology, workload, seed=run.seed, tracer=self.tracer)
        simulation.ledger.on_finished = self.traces.on_finished
        self.simulation = simulation
        self.live = LiveRun(simulation, controls=self._tick, on_sample=self._sample, poll_every_s=FLUSH_EVERY_S,
                            slice_wall_s=0.05, events_per_slice=EVENTS_PER_SLICE, clock=self._clock,
                            sleep=self._pause)
        return self.live

    # The run -------------------------------------------------------------------------------
    def execute(self) -> str:
        """Run to the end (or cancel); returns the final status. Failures are recorded, not raised."""
        self._status("running")
        self.events.flush()
        try:
            result = self._build().run()
            return self._close(result.status, result.summary)
        except RunLost:
            status = Run.objects.filter(pk=self.run_id).values_list("status", flat=True).first()
            log.warning("run %s was ended (%s) by someone else while this worker ran it; stopping", self.run_id,
                        status or "deleted")
            return status or Run.Status.FAILED
        except Exception as error:
            log.exception("run %s failed", self.run_id)
            return self._fail(error)
        finally:
            self.events.close()

    def _close(self, status: str, summary: dict[str, Any]) -> str:
        self.tracer.flush()
        rows = self.traces.closing_rows()
        self._settled(rows)
        self.events.flush(traces=rows)
        self.events.drain()  # merge_late reads the stored rows
        self._settled(self.traces.merge_late())  # messages still in flight: the page is told so
        virtual = self._now()
        limit, error = self.limit or ("", "")
        self.events.add(protocol.RunFinished(self.events.next_seq(), status, summary,  # type: ignore[arg-type]
                                             error=error, limit=limit))
        with transaction.atomic():
            if not Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(status=status):
                return Run.Status.FAILED  # the repair failed it meanwhile
            self.events.flush(run_changes={"summary": summary, "finished_at": timezone.now(), "limit": limit,
                                           "error": error, "virtual_seconds": round(virtual, 6), **self._counts()},
                              stored_elsewhere=self.traces.late_bytes)
        return status

    def _fail(self, error: BaseException) -> str:
        text = "".join(traceback.format_exception_only(error)).strip()
        self.events.close()  # what the writer holds goes first; the rest is written here
        try:
            self.events.add(protocol.RunFinished(self.events.next_seq(), "failed", None, error=text))
            with transaction.atomic():
                if Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(status=Run.Status.FAILED):
                    self.events.flush(run_changes={"error": text, "finished_at": timezone.now(), **self._counts()})
        except IntegrityError:
            pass  # the repair numbered its own event first
        return Run.Status.FAILED

    def _now(self) -> float:
        return self.simulation.kernel.now if self.simulation is not None else 0.0

    def _counts(self) -> dict[str, int]:
        return {"segments_seen": self.segments_seen, "traces_seen": self.traces.seen,
                "traces_stored": self.traces.stored}

    def _status(self, status: protocol.Status) -> None:
        controls = self.controls
        self.events.add(protocol.RunStatus(self.events.next_seq(), status, round(self._now(), 6),
                                           controls.speed, controls.paused))

    # Called by the simulation ---------------------------------------------------------------
    def _deliver(self, batch: list[Segment]) -> None:
        self.segments_seen += len(batch)
        raws = [msgspec.Raw(encode(segment)) for segment in batch]  # once, for the event and the rows
        self.traces.add(batch, raws)
        self.events.add(protocol.RunSegments(self.events.next_seq(), raws))
        rows = self.traces.boundary()
        self._settled(rows)
        self.events.flush(traces=rows)
        self._last_flush = self._clock()
        if self.limit is None and self.live is not None and not self.live.finishing:
            # Big messages fill a limit within a slice: stop after the event under way.
            self.limit = self._reached()
            if self.limit is not None:
                self.live.interrupt()

    def _settled(self, rows: list[TraceRow]) -> None:
        """Tell the watchers how the messages whose rows are stored now ended."""
        if rows:
            outcomes = [protocol.TraceOutcome(row.trace_id, row.outcome, row.duration_ms) for row in rows]
            self.events.add(protocol.RunTraces(self.events.next_seq(), outcomes))

    def _sample(self, sample: Sample) -> None:
        self.tracer.flush()
        self.events.add(protocol.RunMetrics(self.events.next_seq(), sample))
        self.events.flush()

    def _pause(self, seconds: float) -> None:
        if self._clock() - self._last_flush >= PAUSE_FLUSH_EVERY_S:
            self.tracer.flush()  # paced runs: what finished is shown before waiting
        self._sleep(seconds)

    def _tick(self) -> Controls:
        if self.limit is None:
            self.limit = self._reached()
        if self.limit is not None:  # stop here: LiveRun ends the run as cancelled, the summary covers what ran
            return msgspec.structs.replace(self.controls, cancelled=True)
        now = self._clock()
        if now - self._last_flush >= FLUSH_EVERY_S:
            self.tracer.flush()
            self._last_flush = now
        if now - self._last_poll >= POLL_EVERY_S:
            self._last_poll = now
            self._poll()
        if now - self._last_beat >= settings.WIRETAP_HEARTBEAT_S:
            self._last_beat = now
            beat = Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(
                heartbeat_at=timezone.now(), virtual_seconds=round(self._now(), 6), **self._counts())
            if not beat:
                raise RunLost(self.run_id)
        return self.controls

    def _reached(self) -> Reached | None:
        accepted = self.simulation.ledger.accepted if self.simulation is not None else 0
        # What the messages in flight will store when the run ends counts now: their rows (the text
        # held), and about as much again twice over (their in-progress segments, in an event and in
        # their rows). Messages piling up in a queue would otherwise double the store at the end.
        in_flight = 3 * self.traces.held_bytes
        return self.budget.reached(accepted=accepted, stored_traces=self.traces.stored, events=self.events.seq,
                                   stored_bytes=self.run.stored_bytes + self.events.bytes_written + in_flight)

    def _poll(self) -> None:
        row = Run.objects.filter(pk=self.run_id).values("speed", "paused", "cancel_requested", "status").first()
        if row is None or row["status"] != Run.Status.RUNNING:
            raise RunLost(self.run_id)
        wanted = Controls(speed=row["speed"], paused=row["paused"], cancelled=row["cancel_requested"])
        if wanted != self.controls:
            changed = (wanted.speed, wanted.paused) != (self.controls.speed, self.controls.paused)
            self.controls = wanted
            if changed:
                self._status("running")
                self.events.flush()


def no_publish(run_id: int, events: list[Event]) -> None:
    """For runs nobody watches live (tests of storage alone)."""
