"""Replaying a finished run: each event's virtual time, and the pacing at a speed, paused or not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from emulator.tracing import EPOCH
from tests.tracer.test_consumers import run_async
from tracer import protocol
from tracer.replay import Pacer, virtual_time


class FakeTime:
    """A wall clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def pace(speed: float | None, times: list[float | None], fake: FakeTime,
         between: Any = None) -> list[float]:
    """The wall time (since the start) at which each event goes out."""
    async def main() -> list[float]:
        pacer = Pacer(speed, clock=fake.clock, sleep=fake.sleep)
        start = fake.now
        sent = []
        for index, virtual in enumerate(times):
            if between is not None:
                between(index, pacer)
            await pacer.until(virtual)
            sent.append(round(fake.now - start, 6))
        return sent

    return run_async(main)


def segments_event(*spans: tuple[float, float | None]) -> str:
    segments = [{"name": "Inbox", "id": f"{n:016x}", "trace_id": "1-00000000-000000000000000000000000",
                 "start_time": EPOCH + start, **({"end_time": EPOCH + end} if end is not None else {})}
                for n, (start, end) in enumerate(spans)]
    return protocol._encoder.encode({"type": "run.segments", "seq": 2, "segments": segments}).decode()


def test_a_segment_batch_belongs_at_its_latest_end_and_an_open_segment_at_its_start() -> None:
    assert virtual_time(segments_event((1.0, 1.5), (0.5, 3.25), (3.5, None))) == pytest.approx(3.5)


def test_metrics_belong_at_their_sample_time_and_a_status_at_its_virtual_seconds() -> None:
    metrics = ('{"type":"run.metrics","seq":3,"sample":{"t":7.0,"interval_s":1.0,"messages":{},"latency_ms":{},'
               '"components":{}}}')
    status = protocol.encode(protocol.RunStatus(1, "running", 2.5, 10.0, False))
    assert virtual_time(metrics) == 7.0
    assert virtual_time(status) == 2.5


def test_trace_outcomes_and_the_end_have_no_time_of_their_own() -> None:
    assert virtual_time(protocol.encode(protocol.RunTraces(4, []))) is None
    assert virtual_time(protocol.encode(protocol.RunFinished(5, "finished", {}))) is None


def test_at_x10_ten_virtual_seconds_take_one_wall_second() -> None:
    assert pace(10, [0.0, 1.0, None, 5.0, 10.0], FakeTime()) == [0.0, 0.1, 0.1, 0.5, 1.0]


def test_as_fast_as_possible_never_waits() -> None:
    fake = FakeTime()
    assert pace(None, [0.0, 50.0, 100.0], fake) == [0.0, 0.0, 0.0]
    assert fake.sleeps == []


def test_an_event_earlier_than_the_one_before_goes_at_once() -> None:
    assert pace(1, [0.0, 2.0, 1.0], FakeTime()) == [0.0, 2.0, 2.0]


def test_a_speed_change_reanchors_the_clock_where_it_stands() -> None:
    def faster_at_the_third(index: int, pacer: Pacer) -> None:
        if index == 2:
            pacer.control(100, False)

    # 0 -> 10 virtual at x10 takes 1 s; 10 -> 110 at x100 takes 1 s more.
    assert pace(10, [0.0, 10.0, 110.0], FakeTime(), faster_at_the_third) == [0.0, 1.0, 2.0]


def test_a_paused_replay_sends_nothing_until_resumed() -> None:
    fake = FakeTime()

    async def main() -> tuple[bool, float]:
        pacer = Pacer(10, clock=fake.clock, sleep=fake.sleep)
        await pacer.until(0.0)
        pacer.control(10, True)
        waiting = asyncio.ensure_future(pacer.until(1.0))
        for _ in range(5):
            await asyncio.sleep(0)
        held = not waiting.done()
        resumed_at = fake.now
        pacer.control(10, False)
        await waiting
        return held, round(fake.now - resumed_at, 6)

    held, after_resume = run_async(main)
    assert held
    assert after_resume == 0.1  # the second virtual second, from where the resume anchored it
