"""The run stream over a WebSocket: who may watch, replay then live, no gap and no duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec
import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tracer import protocol, services
from tracer.models import Run, RunEvent
from tracer.stream import EventLog, group_name

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


def cookie_of(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def run_async(scenario: Callable[[], Awaitable[Any]]) -> Any:
    # A thread of its own: Playwright's sync API (browser tests in the same worker) keeps an event
    # loop running in the main thread.
    async def main() -> Any:
        return await scenario()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


def communicator(path: str, cookie: bytes | None, origin: tuple[bytes, bytes] = ORIGIN) -> WebsocketCommunicator:
    from console.asgi import application

    headers = [(b"host", b"127.0.0.1"), origin] + ([(b"cookie", cookie)] if cookie is not None else [])
    return WebsocketCommunicator(application, path, headers=headers)


def seqs(texts: list[str]) -> list[int]:
    return [msgspec.json.decode(text)["seq"] for text in texts]


async def receive_all(socket: WebsocketCommunicator, count: int) -> list[str]:
    return [await socket.receive_from(timeout=5) for _ in range(count)]


def log_events(run: Run, count: int, publish: Any = None) -> None:
    """``count`` status events through the real log (written, then published unless told otherwise)."""
    run.refresh_from_db()
    events = EventLog(run.pk, run.last_seq, publish or (lambda run_id, events: None))
    for _ in range(count):
        events.add(protocol.RunStatus(events.next_seq(), "running", 0.0, None, False))
    events.flush()


def test_the_owner_receives_the_whole_log_in_order(alice: Any, queued_run: Run) -> None:
    services.execute_run(queued_run.pk)
    stored = list(RunEvent.objects.filter(run=queued_run).order_by("seq").values_list("body", flat=True))

    cookie = cookie_of(alice)

    async def scenario() -> list[str]:
        socket = communicator(f"/ws/runs/{queued_run.pk}/", cookie)
        connected, _ = await socket.connect()
        assert connected
        texts = await receive_all(socket, len(stored))
        assert await socket.receive_nothing(0.1)
        await socket.disconnect()
        return texts

    assert run_async(scenario) == stored


@pytest.mark.parametrize("who, code", [("charlie", 4404), (None, 4401)])
def test_only_the_owner_may_watch(request: pytest.FixtureRequest, queued_run: Run, who: str | None,
                                  code: int) -> None:
    user = request.getfixturevalue(who) if who else None

    cookie = cookie_of(user) if user is not None else None

    async def scenario() -> Any:
        socket = communicator(f"/ws/runs/{queued_run.pk}/", cookie)
        await socket.connect()
        return await socket.receive_output(5)

    assert run_async(scenario) == {"type": "websocket.close", "code": code}


def test_an_unknown_run_closes_with_4404(alice: Any) -> None:
    cookie = cookie_of(alice)

    async def scenario() -> Any:
        socket = communicator("/ws/runs/999999/", cookie)
        await socket.connect()
        return await socket.receive_output(5)

    assert run_async(scenario) == {"type": "websocket.close", "code": 4404}


def test_a_foreign_origin_is_refused(alice: Any, queued_run: Run) -> None:
    cookie = cookie_of(alice)

    async def scenario() -> bool:
        socket = communicator(f"/ws/runs/{queued_run.pk}/", cookie, origin=(b"origin", b"http://evil.example"))
        connected, _ = await socket.connect()
        return bool(connected)

    assert run_async(scenario) is False


def test_resume_after_a_seq_then_live_without_gap_or_duplicate(alice: Any, queued_run: Run) -> None:
    log_events(queued_run, 5)  # 1..5 in the log

    cookie = cookie_of(alice)

    async def scenario() -> list[str]:
        socket = communicator(f"/ws/runs/{queued_run.pk}/?after=2", cookie)
        connected, _ = await socket.connect()
        assert connected
        replayed = await receive_all(socket, 3)  # 3, 4, 5
        layer = get_channel_layer()
        group = group_name(queued_run.pk)
        # A duplicate of the replay, then 6 live; 7 and 8 logged but 7's publication lost: 8 brings 7 from the log.
        await _log_more(queued_run, 3)
        logged = await _events(queued_run.pk)
        for seq in (5, 6, 8, 6):
            await layer.group_send(group, protocol.layer_events([logged[seq]]))
        live = await receive_all(socket, 3)
        assert await socket.receive_nothing(0.1)
        await socket.disconnect()
        return replayed + live

    assert seqs(run_async(scenario)) == [3, 4, 5, 6, 7, 8]


async def _events(run_id: int) -> dict[int, protocol.LoggedEvent]:
    from channels.db import database_sync_to_async

    return {event[0]: event for event in await database_sync_to_async(services.events_after)(run_id, 0)}


async def _log_more(run: Run, count: int) -> None:
    from channels.db import database_sync_to_async

    await database_sync_to_async(log_events)(run, count)


def test_control_and_cancel_messages_update_the_run(alice: Any, queued_run: Run) -> None:
    cookie = cookie_of(alice)

    async def scenario() -> str:
        socket = communicator(f"/ws/runs/{queued_run.pk}/", cookie)
        await socket.connect()
        await socket.send_to(text_data='{"type": "control", "speed": 10, "paused": true}')
        await socket.send_to(text_data='{"type": "warp"}')
        error = await socket.receive_from(5)
        await socket.send_to(text_data='{"type": "cancel"}')
        finished = await socket.receive_from(5)  # a queued run is cancelled at once
        await socket.disconnect()
        return error + "\n" + finished

    error, finished = run_async(scenario).split("\n")
    run = Run.objects.get(pk=queued_run.pk)
    assert (run.speed, run.paused, run.status) == (10.0, True, "cancelled")
    assert msgspec.json.decode(error)["type"] == "error"
    assert msgspec.json.decode(finished)["type"] == "run.finished"


def test_session_key_is_what_identifies_the_user(alice: Any) -> None:
    # guards the helper above: the cookie is a real session of alice's
    from django.contrib.sessions.backends.db import SessionStore

    key = cookie_of(alice).decode().split("=", 1)[1]
    assert SessionStore(session_key=key)[SESSION_KEY] == str(alice.pk)


def test_a_finished_run_replays_its_whole_log_in_order_and_nothing_live(alice: Any, queued_run: Run) -> None:
    services.execute_run(queued_run.pk)
    stored = list(RunEvent.objects.filter(run=queued_run).order_by("seq").values_list("body", flat=True))
    cookie = cookie_of(alice)

    async def scenario() -> list[str]:
        socket = communicator(f"/ws/runs/{queued_run.pk}/?replay=max", cookie)
        connected, _ = await socket.connect()
        assert connected
        texts = await receive_all(socket, len(stored))
        # A replay is not in the run's group: a live event sent now never reaches it.
        live = protocol.layer_events([(10**6, "run.status", "{}")])
        await get_channel_layer().group_send(group_name(queued_run.pk), live)
        assert await socket.receive_nothing(0.1)
        await socket.disconnect()
        return texts

    assert run_async(scenario) == stored


def test_a_replay_at_x100_is_paced_by_virtual_time_and_its_speed_set_by_control(
        alice: Any, queued_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tracer.test_replay import FakeTime
    from tracer import consumers
    from tracer.replay import Pacer, virtual_time

    services.execute_run(queued_run.pk)
    stored = list(RunEvent.objects.filter(run=queued_run).order_by("seq").values_list("body", flat=True))
    last_virtual = max(t for t in map(virtual_time, stored) if t is not None)
    fake = FakeTime()
    monkeypatch.setattr(consumers, "Pacer", lambda speed: Pacer(speed, clock=fake.clock, sleep=fake.sleep))
    cookie = cookie_of(alice)

    async def scenario() -> list[str]:
        socket = communicator(f"/ws/runs/{queued_run.pk}/?replay=100", cookie)
        await socket.connect()
        texts = await receive_all(socket, len(stored))
        await socket.send_to(text_data='{"type": "control", "speed": 1, "paused": true}')
        assert await socket.receive_nothing(0.1)  # a control is answered by nothing, and touches no row
        await socket.disconnect()
        return texts

    assert run_async(scenario) == stored
    assert sum(fake.sleeps) == pytest.approx(last_virtual / 100, abs=1e-6)
    run = Run.objects.get(pk=queued_run.pk)
    assert (run.speed, run.paused) == (None, False)


def test_replay_on_a_run_still_going_is_the_live_stream(alice: Any, queued_run: Run) -> None:
    log_events(queued_run, 2)
    cookie = cookie_of(alice)

    async def scenario() -> list[str]:
        socket = communicator(f"/ws/runs/{queued_run.pk}/?replay=10", cookie)
        await socket.connect()
        replayed = await receive_all(socket, 2)
        await _log_more(queued_run, 1)
        logged = await _events(queued_run.pk)
        await get_channel_layer().group_send(group_name(queued_run.pk), protocol.layer_events([logged[3]]))
        live = await receive_all(socket, 1)
        await socket.disconnect()
        return replayed + live

    assert seqs(run_async(scenario)) == [1, 2, 3]


VIEWERS = 30


class LossyPublisher:
    """The real publisher, losing what a layer past its capacity loses: every other write's events,
    and the write that carries run.finished (after which nothing would come to reveal the loss)."""

    def __init__(self) -> None:
        self.writes = 0
        self.lost: list[int] = []

    def publish(self, run_id: int, events: list[protocol.LoggedEvent]) -> None:
        self.writes += 1
        if self.writes % 2 == 0 or any(kind == "run.finished" for _, kind, _ in events):
            self.lost.extend(seq for seq, _, _ in events)
            return
        from tracer.stream import publisher

        publisher().publish(run_id, events)


def _execute(run_id: int) -> str | None:
    from django.db import connection

    try:
        return services.execute_run(run_id, "test-worker")
    finally:
        connection.close()  # this thread's own


async def receive_until_finished(socket: WebsocketCommunicator) -> list[int]:
    received = []
    while True:
        message = msgspec.json.decode(await socket.receive_from(timeout=10))
        received.append(message["seq"])
        if message["type"] == "run.finished":
            return received


def test_every_viewer_of_a_live_run_receives_every_event_in_order_though_the_layer_loses_some_and_the_end(
        alice: Any, queued_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    lossy = LossyPublisher()
    monkeypatch.setattr(services, "publisher", lambda: lossy)
    log_events(queued_run, 1)  # a first event: a viewer that has it follows the run live
    cookie = cookie_of(alice)

    async def scenario() -> tuple[int, list[list[int]]]:
        sockets = [communicator(f"/ws/runs/{queued_run.pk}/", cookie) for _ in range(VIEWERS)]
        for socket in sockets:
            connected, _ = await socket.connect()
            assert connected
            assert seqs([await socket.receive_from(timeout=10)]) == [1]
        members = len(get_channel_layer().groups[group_name(queued_run.pk)])
        assert await asyncio.get_running_loop().run_in_executor(None, _execute, queued_run.pk) == "finished"
        received = await asyncio.gather(*(receive_until_finished(socket) for socket in sockets))
        for socket in sockets:
            assert await socket.receive_nothing(0.05)
            await socket.disconnect()
        return members, [[1, *rest] for rest in received]

    members, received = run_async(scenario)
    last_seq = Run.objects.get(pk=queued_run.pk).last_seq
    assert lossy.lost and last_seq in lossy.lost  # the layer really lost events, the last one among them
    assert all(seqs == list(range(1, last_seq + 1)) for seqs in received)
    assert members == 1  # the process's viewers share one member of the run's group


def test_a_viewer_that_leaves_mid_replay_stops_its_consumer_quietly(alice: Any, queued_run: Run) -> None:
    from autobahn.exception import Disconnected

    from console.asgi import application

    log_events(queued_run, 600)  # pages of the log: the close comes in the middle
    scope = {"type": "websocket", "path": f"/ws/runs/{queued_run.pk}/", "query_string": b"", "subprotocols": [],
             "headers": [(b"host", b"127.0.0.1"), ORIGIN, (b"cookie", cookie_of(alice))]}

    async def scenario() -> int:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await inbox.put({"type": "websocket.connect"})
        texts: list[str] = []
        closing = False

        async def send(message: dict[str, Any]) -> None:
            nonlocal closing
            if message["type"] != "websocket.send":
                return
            if len(texts) >= 250:
                if not closing:  # as Daphne: the close handshake has begun; the disconnect follows
                    closing = True
                    await inbox.put({"type": "websocket.disconnect", "code": 1001})
                raise Disconnected("Attempt to send on a closed protocol")
            texts.append(message["text"])

        await asyncio.wait_for(application(scope, inbox.get, send), 10)  # returns: no exception
        return len(texts)

    assert run_async(scenario) == 250
