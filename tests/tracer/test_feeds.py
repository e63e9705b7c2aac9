"""A run's live feed in one process (tracer/feeds.py): one member of the run's group for all the
process's viewers, and the recent events kept so catching up costs no database read."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from tests.tracer.test_consumers import run_async
from tests.tracer.test_follower import FakeLog, event
from tracer import feeds, protocol
from tracer.feeds import Feed, FeedLog
from tracer.follower import Follower
from tracer.stream import group_name


class CountingLog(FakeLog):
    """The shared reader's stand-in: counts what reaches the database."""


def test_the_feed_keeps_recent_events_and_answers_only_a_gapless_run_of_them() -> None:
    async def scenario() -> tuple[list[int], list[int], list[int]]:
        feed = Feed(1)
        feed.keep([event(seq, 99) for seq in (1, 2, 3, 5, 6)])
        feed.close()
        return ([e[0] for e in feed.kept(0, None, 10)], [e[0] for e in feed.kept(2, 6, 10)],
                [e[0] for e in feed.kept(4, None, 1)])

    assert run_async(scenario) == ([1, 2, 3], [3], [5])


def test_the_oldest_kept_events_go_first_past_the_byte_limit() -> None:
    async def scenario() -> list[int]:
        feed = Feed(1, recent_bytes=3 * len(event(1, 99)[2]))
        feed.keep([event(seq, 99) for seq in range(1, 6)])
        feed.close()
        return [seq for seq in range(1, 6) if feed.kept(seq - 1, seq, 1)]

    assert run_async(scenario) == [3, 4, 5]


def test_a_catch_up_the_feed_has_seen_costs_no_read_and_the_rest_is_read_once_and_kept() -> None:
    log = CountingLog(last=10)

    async def scenario() -> tuple[list[int], list[int], list[int]]:
        feed = Feed(1)
        feed.keep([event(seq, 10) for seq in range(4, 9)])
        view = FeedLog(feed, log)  # type: ignore[arg-type]
        from_memory = [e[0] for e in await view.events(1, 3, 8, 200)]
        with_the_log = [e[0] for e in await view.events(1, 0, 9, 200)]
        again = [e[0] for e in await view.events(1, 0, 9, 200)]
        feed.close()
        return from_memory, with_the_log, again

    from_memory, with_the_log, again = run_async(scenario)
    assert from_memory == [4, 5, 6, 7, 8]
    assert with_the_log == again == list(range(1, 10))
    assert log.reads == [(0, 9)]  # 1-3 then 9 were missing: one read; the second time, none


@pytest.mark.django_db(transaction=True)
def test_all_the_viewers_of_a_run_in_a_process_share_one_member_of_its_group_until_the_last_leaves() -> None:
    layer = get_channel_layer()
    group = group_name(7)

    async def scenario() -> tuple[int, list[list[int]], int]:
        followers = []
        for _ in range(20):
            feed = feeds.feed_for(7)
            sent: list[int] = []

            async def send(text: str, sent: list[int] = sent) -> None:
                sent.append(int(text))

            follower = Follower(7, 0, send, FeedLog(feed, FakeLog(last=3, logged=0)))  # type: ignore[arg-type]
            feed.followers.add(follower)
            await feed.joined()
            followers.append((feed, follower, sent, asyncio.ensure_future(follower.run(logged=0))))
        members = len(layer.groups[group])
        await layer.group_send(group, protocol.layer_events([(seq, "run.segments", str(seq)) for seq in (1, 2)]))
        await layer.group_send(group, protocol.layer_events([(3, "run.finished", "3")]))
        await asyncio.wait_for(asyncio.gather(*(task for *_, task in followers)), 5)
        for feed, follower, _, _ in followers:
            feeds.leave(feed, follower)
        await followers[0][0].closed()
        return members, [sent for _, _, sent, _ in followers], len(layer.groups.get(group, {}))

    members, received, left = run_async(scenario)
    assert members == 1
    assert all(sent == [1, 2, 3] for sent in received)
    assert left == 0
