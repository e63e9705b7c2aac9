"""Reads of the replay log shared by a process's viewers (tracer/logreader.py): the database sees
one query for viewers asking the same thing together, not one a viewer."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.tracer.test_consumers import log_events, run_async
from tracer.logreader import LogReader
from tracer.models import Run


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowRead:
    """A read that waits until released, counting its calls (it runs on the reader's threads)."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        assert self.release.wait(10)
        return [(args[1] + 1, "run.status", "{}")] if len(args) > 1 else 7


def test_viewers_asking_for_the_same_events_together_share_one_read() -> None:
    read = SlowRead()
    reader = LogReader(read_events=read, clock=Clock())

    async def scenario() -> list[Any]:
        asks = [asyncio.ensure_future(reader.events(1, 10, 20, 200)) for _ in range(300)]
        await asyncio.sleep(0)  # every ask is waiting on the read now
        read.release.set()
        return await asyncio.gather(*asks)

    answers = run_async(scenario)
    assert read.calls == reader.queries == 1
    assert all(answer == [(11, "run.status", "{}")] for answer in answers)


def test_an_answer_is_shared_for_its_memo_time_then_read_again() -> None:
    read, clock = SlowRead(), Clock()
    read.release.set()
    reader = LogReader(read_last_seq=read, last_seq_memo_s=0.5, clock=clock)

    async def scenario() -> list[int]:
        first = await reader.last_seq(1)
        clock.now = 0.49
        second = await reader.last_seq(1)
        clock.now = 0.5
        third = await reader.last_seq(1)
        return [first, second, third]

    assert run_async(scenario) == [7, 7, 7]
    assert read.calls == 2  # the second answer came from the first read


def test_different_questions_are_read_separately() -> None:
    read = SlowRead()
    read.release.set()
    reader = LogReader(read_events=read, clock=Clock())

    async def scenario() -> None:
        await asyncio.gather(reader.events(1, 10, None, 200), reader.events(1, 11, None, 200),
                             reader.events(2, 10, None, 200))

    run_async(scenario)
    assert read.calls == 3


def test_a_viewer_that_leaves_while_waiting_does_not_cancel_the_others_read() -> None:
    read = SlowRead()
    reader = LogReader(read_events=read, clock=Clock())

    async def scenario() -> Any:
        leaving = asyncio.ensure_future(reader.events(1, 0, None, 200))
        staying = asyncio.ensure_future(reader.events(1, 0, None, 200))
        await asyncio.sleep(0)  # every ask is waiting on the read now
        leaving.cancel()
        read.release.set()
        return await staying

    assert run_async(scenario) == [(1, "run.status", "{}")]
    assert read.calls == 1


@pytest.mark.django_db(transaction=True)
def test_the_reader_reads_the_runs_events_and_last_seq_from_the_database(queued_run: Run) -> None:
    log_events(queued_run, 5)
    reader = LogReader()

    async def scenario() -> tuple[list[int], int]:
        events = await reader.events(queued_run.pk, 1, 4, 200)
        return [seq for seq, _, _ in events], await reader.last_seq(queued_run.pk)

    assert run_async(scenario) == ([2, 3, 4], 5)
