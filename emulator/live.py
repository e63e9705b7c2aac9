"""Running a simulation for someone watching: wall-clock pacing, pause, cancel, metric samples.

The kernel knows nothing of wall time; pacing is a wrapper around it, as SimPy's ``rt.py`` is.
A ``LiveRun`` advances the simulation in slices of virtual time: as fast as possible, or paced
so that virtual time runs ``speed`` times as fast as the wall clock. A slice is also bounded by
work (``events_per_slice`` kernel events): at a flood's rate one virtual second is millions of
events, and the controls must still be read within a fraction of a second. Between slices it asks
``controls()`` what the watcher wants (a speed, paused, cancelled; at most every
``poll_every_s`` of wall time, since the answer may come from a database) and, every
``sample_every_s`` of virtual time, hands a ``Sample`` of every component's gauges and rates to
``on_sample``. Segments keep flowing to the simulation's tracer as they finish. A stretch in which
nothing is scheduled for a whole sample interval is not watched: the clock jumps to the last sample
time before the next event (or to the deadline, when nothing is scheduled before it), with one
sample covering the stretch. The run ends by the simulation's end rule (``Simulation.over``).

The clock and the sleep are parameters, so tests drive a fake wall clock and never wait. The
same topology, workload and seed give the same traces and samples at any speed: pacing only
decides when, in wall time, each slice runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Literal

import msgspec

from emulator.histogram import percentiles
from emulator.simulation import Simulation

Status = Literal["finished", "cancelled"]


class Controls(msgspec.Struct, frozen=True):
    """What the watcher wants now. ``speed`` None: as fast as possible; else virtual seconds per
    wall second (1, 10, 100...)."""

    speed: float | None = None
    paused: bool = False
    cancelled: bool = False


class ComponentSample(msgspec.Struct, omit_defaults=True):
    """One component at one moment: its gauges, and its rates over the interval just ended."""

    requests_per_s: float = 0.0
    errors_per_s: float = 0.0
    throttles_per_s: float = 0.0
    gauges: dict[str, float] = {}


class Sample(msgspec.Struct):
    """Every component at virtual time ``t``, with the message accounting so far and the latency
    of the messages that finished during the interval."""

    t: float
    interval_s: float
    messages: dict[str, int]
    latency_ms: dict[str, float]
    components: dict[str, ComponentSample]


class LiveResult(msgspec.Struct):
    status: Status
    summary: dict[str, Any]
    samples: int


class LiveRun:
    def __init__(
        self,
        simulation: Simulation,
        *,
        controls: Callable[[], Controls] = Controls,
        on_sample: Callable[[Sample], None] | None = None,
        sample_every_s: float = 1.0,
        poll_every_s: float = 0.25,
        slice_wall_s: float = 0.05,
        events_per_slice: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if sample_every_s <= 0:
            raise ValueError(f"sample_every_s must be positive, got {sample_every_s}")
        self.simulation = simulation
        self._controls = controls
        self._on_sample = on_sample
        self.sample_every_s = sample_every_s
        self.poll_every_s = poll_every_s
        # Paced runs wake at least this often (wall seconds) to poll and to sample.
        self.slice_wall_s = slice_wall_s
        # A slice ends after this many events (some 10-50 ms of work), whatever virtual time it reached.
        self.events_per_slice = events_per_slice
        self._clock = clock
        self._sleep = sleep
        self._current = Controls()
        self._polled_at: float | None = None
        self._samples = 0
        # True once the run has stopped and the simulation reports what is still in progress.
        self.finishing = False
        self._last_sample_t = 0.0
        self._last_activity: dict[str, tuple[int, int, int]] = {}

    # Control ------------------------------------------------------------------------------
    def _poll(self, force: bool = False) -> Controls:
        now = self._clock()
        if force or self._polled_at is None or now - self._polled_at >= self.poll_every_s:
            self._polled_at = now
            self._current = self._controls()
        return self._current

    def interrupt(self) -> None:
        """Read the controls after the event under way (for a caller that learns, inside a slice,
        that they must change: a limit reached)."""
        self.simulation.kernel.stop()
        self._polled_at = None

    # Running ------------------------------------------------------------------------------
    def run(self) -> LiveResult:
        """Run to the end or until cancelled; the summary covers what ran either way."""
        sim = self.simulation
        kernel = sim.kernel
        sim.ledger.window = []
        sim.start()
        next_sample = self.sample_every_s
        # The wall time at which virtual time ``anchor_virtual`` was reached at the current speed.
        anchor_wall, anchor_virtual, anchor_speed = self._clock(), kernel.now, self._current.speed
        status: Status = "finished"
        whole = True  # the last slice reached its target (False: its event budget ran out first)
        while True:
            controls = self._poll()
            if controls.cancelled:
                status = "cancelled"
                break
            if controls.paused:
                self._sleep(self.slice_wall_s)
                anchor_wall, anchor_virtual = self._clock(), kernel.now
                continue
            if controls.speed != anchor_speed:  # re-anchor: the new speed counts from here
                anchor_wall, anchor_virtual, anchor_speed = self._clock(), kernel.now, controls.speed
            if whole and sim.over():
                break
            next_event = sim.next_stop()
            if next_event >= sim.deadline or next_event >= next_sample + self.sample_every_s:
                # Nothing happens for a whole sample interval (or ever, before the deadline): no wall
                # time is spent watching the quiet stretch, the clock jumps over it.
                next_sample = self._skip_quiet_stretch(next_event, next_sample)
                whole = True  # nothing was due in the stretch: the skip ran all there was
                anchor_wall, anchor_virtual = self._clock(), kernel.now
                continue
            target = min(next_sample, sim.deadline)
            if controls.speed is not None:
                # How far virtual time may go now; if the next event is later, wait for it.
                allowed = anchor_virtual + (self._clock() - anchor_wall) * controls.speed
                if allowed < min(next_event, target):
                    wait = (min(next_event, target) - allowed) / controls.speed
                    self._sleep(min(wait, self.slice_wall_s))
                    continue
                target = min(target, allowed)
            whole = sim.advance(target, max_events=self.events_per_slice)
            if whole and kernel.now >= next_sample:
                self._sample(next_sample)
                next_sample += self.sample_every_s
        self.finishing = True
        summary = sim.finish()
        if status == "finished" and kernel.now > self._last_sample_t:
            self._sample(kernel.now)  # the last, partial interval
        sim.ledger.window = None
        return LiveResult(status, summary, self._samples)

    def _skip_quiet_stretch(self, until: float, next_sample: float) -> float:
        """Move the clock over a stretch where nothing is scheduled before ``until`` (the next event,
        or the deadline): to the deadline, or to the last sample time before the event, sampled once
        (its interval covers the stretch). Returns when the next sample is due."""
        sim = self.simulation
        if until >= sim.deadline:
            sim.advance(sim.deadline)  # the run is over then: its last sample covers the stretch
            return next_sample
        every = self.sample_every_s
        jump_to = next_sample + math.floor((until - next_sample) / every) * every
        sim.advance(jump_to)
        self._sample(jump_to)
        return jump_to + every

    # Samples ------------------------------------------------------------------------------
    def _sample(self, t: float) -> None:
        self._samples += 1
        if self._on_sample is None:
            self._last_sample_t = t
            return
        sim = self.simulation
        interval = t - self._last_sample_t
        self._last_sample_t = t
        components: dict[str, ComponentSample] = {}
        for component_id, component in sim.components.items():
            activity = component.activity()
            before = self._last_activity.get(component_id, (0, 0, 0))
            self._last_activity[component_id] = activity
            requests, errors, throttles = (
                round((now - then) / interval, 3) if interval > 0 else 0.0
                for now, then in zip(activity, before, strict=True)
            )
            components[component_id] = ComponentSample(requests, errors, throttles, component.gauges())
        window = sim.ledger.window or []
        latency = percentiles(window, (50, 90, 99)) if window else {}
        sim.ledger.window = []
        self._on_sample(Sample(round(t, 6), round(interval, 6), sim.ledger.counts(), latency, components))
