"""One viewer's stream (tracer/follower.py): whatever the layer delivers, the viewer gets every
event once, in order, to run.finished, and what the layer lost comes from the log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.tracer.test_consumers import run_async
from tracer.follower import Follower, ViewerGone
from tracer.protocol import LoggedEvent

# Short, so a test that needs a stall waits a few milliseconds; the follower waits for an event
# or the stall, never a fixed time, and each scenario ends when run.finished is sent.
STALL_S = 0.01


def event(seq: int, last: int) -> LoggedEvent:
    kind = "run.finished" if seq == last else "run.segments"
    return seq, kind, f'{{"type":"{kind}","seq":{seq}}}'


class FakeLog:
    """The replay log: events 1..``logged`` of ``last`` (``logged`` grows as a run goes on)."""

    def __init__(self, last: int, logged: int | None = None) -> None:
        self.last = last
        self.logged = last if logged is None else logged
        self.reads: list[tuple[int, int | None]] = []

    async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
        self.reads.append((after, upto))
        end = self.logged if upto is None else min(upto, self.logged)
        return [event(seq, self.last) for seq in range(after + 1, end + 1)][:limit]

    async def last_seq(self, run_id: int) -> int:
        return self.logged


class Viewer:
    def __init__(self, log: FakeLog, after: int = 0, **options: Any) -> None:
        self.sent: list[int] = []
        self.follower = Follower(1, after, self.send, log, stall_s=STALL_S, **options)

    async def send(self, text: str) -> None:
        self.sent.append(int(text.rsplit(":", 1)[1].rstrip("}")))


def follow(viewer: Viewer, *live_batches: list[int], last: int) -> list[int]:
    """Run the viewer, handing it the live batches one by one once its replay is done."""
    async def scenario() -> list[int]:
        running = asyncio.ensure_future(viewer.follower.run(logged=0))
        for batch in live_batches:
            await asyncio.sleep(0)
            viewer.follower.offer(event(seq, last) for seq in batch)
        await asyncio.wait_for(running, 5)
        return viewer.sent

    result: list[int] = run_async(scenario)
    return result


def test_the_log_after_the_given_seq_then_live_events_in_order_without_duplicates() -> None:
    log = FakeLog(last=8, logged=4)
    viewer = Viewer(log, after=1)

    assert follow(viewer, [4, 5, 6], [5, 7, 8], last=8) == [2, 3, 4, 5, 6, 7, 8]


def test_a_live_event_that_skips_numbers_has_the_missing_ones_read_from_the_log_first() -> None:
    log = FakeLog(last=6, logged=2)
    viewer = Viewer(log, after=2)

    async def scenario() -> list[int]:
        running = asyncio.ensure_future(viewer.follower.run(logged=viewer.follower.last_sent))
        await asyncio.sleep(0)  # the replay: nothing after 2 yet
        log.logged = 6  # meanwhile 3..6 were logged, and the layer lost 3 and 4
        viewer.follower.offer([event(5, 6), event(6, 6)])
        await asyncio.wait_for(running, 5)
        return viewer.sent

    assert run_async(scenario) == [3, 4, 5, 6]
    assert (2, 4) in log.reads  # the gap before 5, read from the log
    assert viewer.follower.stats == {"live": 2, "from_log": 2, "dropped_backlog": 0, "stalls": 0}


def test_a_tail_the_layer_never_delivered_is_read_from_the_log_after_a_stall() -> None:
    log = FakeLog(last=10, logged=3)
    viewer = Viewer(log)

    async def scenario() -> list[int]:
        running = asyncio.ensure_future(viewer.follower.run(logged=viewer.follower.last_sent))
        await asyncio.sleep(0)  # the replay: 1..3
        log.logged = 10
        viewer.follower.offer([event(4, 10), event(5, 10)])  # then the layer drops 6..10
        await asyncio.wait_for(running, 5)
        return viewer.sent

    assert run_async(scenario) == list(range(1, 11))
    assert viewer.follower.finished and viewer.follower.stats["stalls"] >= 1


def test_a_viewer_that_falls_behind_its_backlog_catches_up_from_the_log() -> None:
    log = FakeLog(last=50, logged=0)
    viewer = Viewer(log, backlog=5)

    async def scenario() -> list[int]:
        running = asyncio.ensure_future(viewer.follower.run(logged=viewer.follower.last_sent))
        await asyncio.sleep(0)
        log.logged = 50
        viewer.follower.offer(event(seq, 50) for seq in range(1, 51))  # at once: 45 dropped
        await asyncio.wait_for(running, 5)
        return viewer.sent

    assert run_async(scenario) == list(range(1, 51))
    assert viewer.follower.stats["dropped_backlog"] == 45


def test_nothing_is_sent_past_a_hole_in_what_the_log_answers() -> None:
    class HoleyLog(FakeLog):
        """Event 3 never shows; the third read tells the test the follower kept asking."""

        def __init__(self) -> None:
            super().__init__(last=5)
            self.asked_again = asyncio.Event()

        async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
            if len(self.reads) >= 2:
                self.asked_again.set()
            return [e for e in await super().events(run_id, after, upto, limit) if e[0] != 3]

    async def scenario() -> tuple[list[int], list[tuple[int, int | None]]]:
        log = HoleyLog()
        viewer = Viewer(log)
        running = asyncio.ensure_future(viewer.follower.run(logged=viewer.follower.last_sent))
        await asyncio.wait_for(log.asked_again.wait(), 5)  # at least two stalls later
        running.cancel()
        return viewer.sent, log.reads

    sent, reads = run_async(scenario)
    assert sent == [1, 2]
    assert reads[1:3] == [(2, 5), (2, 5)]


def test_a_log_longer_than_a_page_is_replayed_page_by_page() -> None:
    log = FakeLog(last=25)
    viewer = Viewer(log, after=0, page=10)

    assert follow(viewer, last=25) == list(range(1, 26))
    assert log.reads[:3] == [(0, None), (10, None), (20, None)]


def test_a_run_that_is_over_is_sent_up_to_its_last_seq_and_nothing_live_is_awaited() -> None:
    log = FakeLog(last=9, logged=9)
    viewer = Viewer(log, after=3)

    async def scenario() -> list[int]:
        await asyncio.wait_for(viewer.follower.run(logged=9, over=True), 5)
        return viewer.sent

    assert run_async(scenario) == list(range(4, 10))
    assert log.reads == [(3, 9)]  # a range with an end: its pages are whole, whoever read them first


def test_a_shared_page_that_ends_early_does_not_end_the_replay_before_what_was_logged() -> None:
    class StaleLog(FakeLog):
        """Answers an open-ended read as another viewer's a moment ago: up to seq 3 only."""

        async def events(self, run_id: int, after: int, upto: int | None, limit: int) -> list[LoggedEvent]:
            return await super().events(run_id, after, 3 if upto is None else upto, limit)

    log = StaleLog(last=6, logged=6)
    viewer = Viewer(log)

    async def scenario() -> list[int]:
        running = asyncio.ensure_future(viewer.follower.run(logged=5))
        await asyncio.sleep(0)
        replayed = list(viewer.sent)  # before any live event or stall
        viewer.follower.offer([event(6, 6)])
        await asyncio.wait_for(running, 5)
        return replayed

    assert run_async(scenario) == [1, 2, 3, 4, 5]
    assert viewer.sent == [1, 2, 3, 4, 5, 6]


def test_a_socket_that_closes_mid_send_ends_the_stream_with_viewer_gone() -> None:
    async def closed(text: str) -> None:
        raise ViewerGone

    follower = Follower(1, 0, closed, FakeLog(last=3), stall_s=STALL_S)

    with pytest.raises(ViewerGone):
        run_async(lambda: follower.run(logged=3))
    assert follower.last_sent == 0
