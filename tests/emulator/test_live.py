"""Live runs: pacing against a fake wall clock, pause, cancel, and metric samples."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from emulator.live import Controls, LiveRun, Sample
from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import ListTracer
from emulator.workload import load_workload
from tests.emulator.scenario import balanced, topology

PIPELINE = topology(
    [
        {"id": "Api", "kind": "apigateway"},
        {"id": "Inbox", "kind": "sqs", "properties": {"VisibilityTimeout": 30}},
        {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 5},
         "behavior": {"duration_ms": {"median": 200, "p99": 900}}},
    ],
    [
        {"source": "Api", "target": "Inbox", "role": "request"},
        {"source": "Inbox", "target": "Worker", "role": "event_source", "properties": {"BatchSize": 5}},
    ],
)


def simulation(duration_s: float = 10, drain_s: float = 60, per_second: float = 20) -> tuple[Simulation, ListTracer]:
    loaded = load_topology(PIPELINE)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 3, "duration_s": duration_s,
                              "drain_s": drain_s, "sources": [{"target": "Api", "rate": {"per_second": per_second}}]},
                             loaded)
    tracer = ListTracer()
    return Simulation(loaded, workload, tracer=tracer), tracer


class FakeWall:
    """A wall clock that moves only when the run sleeps: pacing is tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        self.slept += seconds


def live(sim: Simulation, wall: FakeWall, controls: Any = Controls, **options: Any) -> tuple[Any, list[Sample]]:
    samples: list[Sample] = []
    result = LiveRun(sim, controls=controls, on_sample=samples.append, clock=wall.clock, sleep=wall.sleep,
                     **options).run()
    return result, samples


def encoded(tracer: ListTracer) -> bytes:
    return msgspec.json.encode(tracer.segments)


def test_as_fast_as_possible_gives_the_same_run_as_simulation_run_and_never_sleeps() -> None:
    reference, reference_tracer = simulation()
    expected = reference.run()
    sim, tracer = simulation()
    wall = FakeWall()
    result, samples = live(sim, wall)
    assert result.status == "finished"
    assert result.summary == expected
    assert encoded(tracer) == encoded(reference_tracer)
    assert wall.slept == 0.0
    # One sample per virtual second, then the last partial interval.
    end = expected["virtual_seconds"]
    assert [s.t for s in samples[:3]] == [1.0, 2.0, 3.0]
    assert len(samples) == math.ceil(end) and samples[-1].t == pytest.approx(end, abs=1e-3)


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_paced_run_never_shows_virtual_time_before_its_wall_time(speed: float) -> None:
    sim, _ = simulation(duration_s=5, drain_s=10)
    wall = FakeWall()
    seen: list[tuple[float, float]] = []

    def on_sample(sample: Sample) -> None:
        seen.append((sample.t, wall.now))

    result = LiveRun(sim, controls=lambda: Controls(speed=speed), on_sample=on_sample, clock=wall.clock,
                     sleep=wall.sleep).run()
    assert result.status == "finished"
    for t, wall_at in seen[:-1]:
        assert wall_at >= t / speed - 1e-9
        assert wall_at <= t / speed + 0.05 + 1e-9  # a paced run sleeps in slices of at most 50 ms
    assert wall.now == pytest.approx(result.summary["virtual_seconds"] / speed, abs=0.05 + 1e-9)


def test_speed_and_pauses_change_when_things_happen_not_what_happens() -> None:
    fast, fast_tracer = simulation()
    _, fast_samples = live(fast, FakeWall())
    polls = {"count": 0}

    def controls() -> Controls:
        polls["count"] += 1
        # x100, a pause, then as fast as possible
        if polls["count"] < 10:
            return Controls(speed=100.0)
        if polls["count"] < 20:
            return Controls(speed=100.0, paused=True)
        return Controls()

    paced, paced_tracer = simulation()
    wall = FakeWall()
    result, paced_samples = live(paced, wall, controls, poll_every_s=0.0)
    assert result.status == "finished" and polls["count"] > 20
    assert encoded(paced_tracer) == encoded(fast_tracer)
    assert msgspec.json.encode(paced_samples) == msgspec.json.encode(fast_samples)
    assert wall.slept >= 10 * 0.05 - 1e-9  # paused, it woke every 50 ms to ask again


def test_cancel_stops_promptly_and_keeps_a_balanced_summary() -> None:
    sim, tracer = simulation(duration_s=60)
    samples: list[Sample] = []

    def controls() -> Controls:
        return Controls(cancelled=len(samples) >= 3)

    result = LiveRun(sim, controls=controls, on_sample=samples.append, poll_every_s=0.0).run()
    assert result.status == "cancelled"
    assert len(samples) == 3
    assert result.summary["virtual_seconds"] == pytest.approx(3.0, abs=0.01)
    assert balanced(result.summary) and result.summary["messages"]["in_flight"] > 0
    assert tracer.segments  # what was produced is kept
    assert any(segment.in_progress for segment in tracer.segments)  # and what was under way says so


def test_slices_bounded_by_work_give_the_same_traces_and_samples_as_a_whole_run() -> None:
    def two_sources() -> tuple[Simulation, ListTracer]:
        # Two constant sources: two arrivals at every whole second, the instant of each sample.
        loaded = load_topology(PIPELINE)
        source = {"target": "Api", "rate": {"per_second": 10}}
        workload = load_workload({"format": "wiretap.workload/1", "seed": 3, "duration_s": 10, "drain_s": 60,
                                  "sources": [source, source]}, loaded)
        tracer = ListTracer()
        return Simulation(loaded, workload, tracer=tracer), tracer

    whole, whole_tracer = two_sources()
    _, whole_samples = live(whole, FakeWall())
    sliced, sliced_tracer = two_sources()
    # One event a slice: slices end between the two arrivals of a sample's instant.
    result, sliced_samples = live(sliced, FakeWall(), events_per_slice=1)
    assert result.status == "finished" and result.summary == whole.summary()
    assert encoded(sliced_tracer) == encoded(whole_tracer)
    assert msgspec.json.encode(sliced_samples) == msgspec.json.encode(whole_samples)


class WorkClock:
    """A wall clock that runs 10 µs per event the kernel has processed (and with sleeps): how long
    work takes, without waiting for it."""

    EVENT_S = 10e-6

    def __init__(self, sim: Simulation) -> None:
        self.kernel = sim.kernel
        self.slept = 0.0

    def clock(self) -> float:
        return self.kernel.events_processed * self.EVENT_S + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += seconds


@pytest.mark.parametrize("speed", [None, 1.0])
def test_a_cancel_is_seen_within_a_bounded_amount_of_work_while_a_source_floods(speed: float | None) -> None:
    # 100,000 messages a second for a minute: some 30 million events, minutes of work.
    sim, _ = simulation(duration_s=60, per_second=100_000)
    wall = WorkClock(sim)
    cancel_at_s = 0.5

    def controls() -> Controls:
        return Controls(speed=speed, cancelled=wall.clock() >= cancel_at_s)

    poll_every_s, events_per_slice = 0.25, 2_000
    result = LiveRun(sim, controls=controls, clock=wall.clock, sleep=wall.sleep, poll_every_s=poll_every_s,
                     events_per_slice=events_per_slice).run()
    assert result.status == "cancelled"
    # The cancel is read at the first poll after it, which comes after at most one slice.
    events_at_cancel = cancel_at_s / WorkClock.EVENT_S
    assert sim.kernel.events_processed <= events_at_cancel + poll_every_s / WorkClock.EVENT_S + events_per_slice
    assert balanced(result.summary)


def test_an_interrupt_inside_a_slice_has_the_controls_read_after_the_event_under_way() -> None:
    sim, _ = simulation(duration_s=60, per_second=100_000)
    asked: list[float] = []
    live = LiveRun(sim, controls=lambda: Controls(cancelled=bool(asked)), poll_every_s=3600.0,
                   events_per_slice=10**9)  # neither the wall clock nor the budget would end the slice

    def limit_reached() -> None:
        asked.append(sim.kernel.now)
        live.interrupt()

    sim.kernel.schedule_at(0.01, limit_reached)
    result = live.run()
    assert result.status == "cancelled" and asked == [0.01]
    assert sim.kernel.now == 0.01 and balanced(result.summary)


def test_samples_report_rates_gauges_and_latency_of_the_interval() -> None:
    sim, _ = simulation(duration_s=10, drain_s=30)
    _, samples = live(sim, FakeWall())
    steady = samples[5]
    assert steady.interval_s == 1.0
    # 20 requests a second arrive at the API and are sent on to the queue.
    assert steady.components["Api"].requests_per_s == pytest.approx(20, abs=6)
    assert steady.components["Inbox"].requests_per_s == pytest.approx(20, abs=6)
    assert steady.components["Worker"].requests_per_s > 0
    assert set(steady.components["Inbox"].gauges) >= {"visible", "in_flight", "oldest_age_s"}
    assert "concurrency" in steady.components["Worker"].gauges
    assert set(steady.latency_ms) == {"p50", "p90", "p99"} and steady.latency_ms["p50"] > 0
    # Rates add up to the totals.
    total = sum(s.components["Api"].requests_per_s * s.interval_s for s in samples)
    assert total == pytest.approx(samples[-1].messages["accepted"] + samples[-1].messages["rejected"])
    # After the arrivals stop, the API goes quiet.
    assert samples[-1].components["Api"].requests_per_s == 0.0


def test_sample_interval_must_be_positive() -> None:
    sim, _ = simulation()
    with pytest.raises(ValueError, match="sample_every_s must be positive"):
        LiveRun(sim, sample_every_s=0)


# Quiet stretches and the end rule ----------------------------------------------------------------
def documented(document: dict[str, Any], sources: list[dict[str, Any]], duration_s: float,
               drain_s: float) -> Simulation:
    loaded = load_topology(document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 3, "duration_s": duration_s,
                              "drain_s": drain_s, "sources": sources}, loaded)
    return Simulation(loaded, workload, tracer=ListTracer())


UNCONSUMED = topology([{"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 0}}])
FAILING_ASYNC = topology(
    [{"id": "Caller", "kind": "lambda"},
     {"id": "Job", "kind": "lambda", "behavior": {"error_rate": 1.0, "duration_ms": {"median": 100, "p99": 100}}}],
    [{"source": "Caller", "target": "Job", "role": "event"}],
)


def test_messages_in_flight_with_nothing_scheduled_end_a_paced_run_at_the_deadline_at_once() -> None:
    sources = [{"target": "Inbox", "rate": {"per_second": 1}, "count": 3}]
    expected = documented(UNCONSUMED, sources, 3, 600).run()
    wall = FakeWall()
    result, samples = live(documented(UNCONSUMED, sources, 3, 600), wall, lambda: Controls(speed=1.0))
    assert result.summary == expected and expected["virtual_seconds"] == 603.0
    # The arrivals took their 2 s of wall time; the 600 s in which nothing could happen took none.
    assert wall.slept <= 3.0
    assert samples[-1].t == 603.0 and samples[-1].messages["in_flight"] == 3


@pytest.mark.parametrize("speed", [None, 1.0])
def test_a_stretch_with_nothing_scheduled_is_jumped_over_with_one_sample(speed: float | None) -> None:
    sources = [{"target": "Caller", "rate": {"per_second": 1}, "count": 1}]
    expected = documented(FAILING_ASYNC, sources, 1, 400).run()
    wall = FakeWall()
    result, samples = live(documented(FAILING_ASYNC, sources, 1, 400), wall, lambda: Controls(speed=speed))
    assert result.summary == expected
    # The event fails, is retried a minute later, then two minutes after that: the waits are
    # jumped over, each covered by one sample, and cost no wall time.
    long_ones = [sample for sample in samples if sample.interval_s > 1.0]
    assert len(long_ones) == 2
    assert [round(sample.t) for sample in long_ones] == [60, 180]
    assert len(samples) < 10
    assert wall.slept < 5.0
