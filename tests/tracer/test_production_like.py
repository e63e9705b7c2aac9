"""The production-like mode end to end: PostgreSQL, Redis (Celery's broker and channels_redis),
two separate `celery -A console worker` processes, Daphne, and a real WebSocket client.

Nothing here is faked: the test process only starts the processes (tests/live.py), signs alice
in with a session made in the console's own database, and then talks HTTP and WebSocket to Daphne
as the browser does. A missing PostgreSQL or Redis is a failure naming what is missing (CI must
run these), never a skip.

Each stack has a database of its own on the PostgreSQL server and a Redis database number of its
own, so that two test sessions on one machine never take each other's runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from tests.conftest import ARTIFACTS, failed
from tests.live import CeleryWorker, LiveConsole, ServiceMissing, wait_until
from tests.tracer.test_consumers import run_async

# Every test here shares one stack: with `--dist loadgroup` (pyproject.toml), one xdist worker runs them.
pytestmark = pytest.mark.xdist_group("production-like")

# Long enough that a worker starved of CPU by a parallel test session (heartbeats every second)
# is not taken for dead; short enough for the killed worker's test.
HEARTBEAT_TIMEOUT_S = 10
# The repair runs every second; the stale heartbeat is noticed within HEARTBEAT_TIMEOUT_S + 1 s,
# after the heartbeat written just before the kill (at most WIRETAP_HEARTBEAT_S = 1 s old).
REPAIR_BOUND_S = HEARTBEAT_TIMEOUT_S + 1 + 1 + 4  # + 4 s for a loaded machine
# Promptly: the worker polls the run's row every 0.25 s of wall time (tracer/execution.py).
CANCEL_BOUND_S = 5
# Daphne's application_checker: how often it reaps ended consumers (and logs their exceptions).
DAPHNE_REAPS_EVERY_S = 1


def workload(per_second: int = 50, duration_s: float = 10, **extra: Any) -> dict[str, Any]:
    return {"format": "wiretap.workload/1", "seed": 3, "duration_s": duration_s, "drain_s": 60,
            "sources": [{"target": "Partner", "rate": {"per_second": per_second}, "payload": {"n": "$seq"}}],
            **extra}


class Stack(LiveConsole):
    """The processes of one production-like console (two workers) and a signed-in client of it."""

    def __init__(self, log_dir: Path) -> None:
        super().__init__(log_dir, production_like=True, workers=2, env={
            "LOG_LEVEL": "INFO", "WIRETAP_HEARTBEAT_S": "1", "WIRETAP_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
            "WIRETAP_REPAIR_EVERY_S": "1"})

    def start_run(self, body: dict[str, Any]) -> dict[str, Any]:
        run: dict[str, Any] = self.api("POST", f"/api/topologies/{self.topology}/runs/", body)
        return run

    def run(self, run_id: int) -> dict[str, Any]:
        run: dict[str, Any] = self.api("GET", f"/api/runs/{run_id}/")
        return run

    def wait_status(self, run_id: int, statuses: set[str], timeout_s: float) -> dict[str, Any]:
        found: dict[str, Any] = wait_until(lambda: (run := self.run(run_id))["status"] in statuses and run,
                                           timeout_s, f"run {run_id} {' or '.join(sorted(statuses))} "
                                           f"(the processes' logs: {self.log_dir})",
                                           interval_s=0.1)
        return found

    def worker_running(self, run: dict[str, Any]) -> CeleryWorker:
        # A solo pool runs the task in the worker's main thread, whose native id is its pid.
        pid = int(run["worker"].rsplit(":", 1)[1])
        return next(worker for worker in self.workers if worker.pid == pid)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        built = Stack(tmp_path_factory.mktemp("production-like"))
    except ServiceMissing as missing:
        pytest.fail(f"{missing} The production-like tests need it.", pytrace=False)
    yield built
    built.stop()


@pytest.fixture(autouse=True)
def _keep_logs_of_a_failure(stack: Stack, request: pytest.FixtureRequest) -> Iterator[None]:
    # The processes' logs live in pytest's temporary folders, which later runs delete: a failure
    # copies them to test-artifacts/, where CI's log says to look.
    yield
    if failed(request.node):
        kept = ARTIFACTS / "production-like" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        shutil.copytree(stack.log_dir, kept, dirs_exist_ok=True)
        print(f"the processes' logs of this failure are in {kept}")


async def receive_until_finished(socket: ClientConnection, timeout_s: float = 60) -> list[dict[str, Any]]:
    messages = []
    async with asyncio.timeout(timeout_s):
        while True:
            message = json.loads(await socket.recv())
            messages.append(message)
            if message["type"] == "run.finished":
                return messages


def test_a_run_streams_status_numbered_segment_batches_metrics_and_its_end_to_a_websocket(stack: Stack) -> None:
    run = stack.start_run({"workload": workload(), "speed": None})

    async def watch() -> list[dict[str, Any]]:
        async with stack.socket(run["id"]) as socket:
            return await receive_until_finished(socket)

    messages = run_async(watch)
    seqs = [message["seq"] for message in messages]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
    types = {message["type"] for message in messages}
    assert {"run.status", "run.segments", "run.traces", "run.metrics", "run.finished"} <= types
    assert messages[-1]["status"] == "finished"
    assert all(1 <= len(message["segments"]) <= 500 for message in messages if message["type"] == "run.segments")
    finished = stack.run(run["id"])
    assert finished["status"] == "finished" and finished["last_seq"] == seqs[-1]
    assert sum(len(m["segments"]) for m in messages if m["type"] == "run.segments") == finished["segments"]
    assert finished["traces_seen"] == 500  # 50 a second for 10 s
    assert stack.worker_running(finished) in stack.workers  # one of the worker processes ran it


def test_a_client_reconnecting_with_after_receives_the_rest_exactly_once(stack: Stack) -> None:
    run = stack.start_run({"workload": workload(duration_s=30), "speed": 10})

    async def watch_in_two_parts() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        first: list[dict[str, Any]] = []
        async with stack.socket(run["id"]) as socket:
            while sum(m["type"] == "run.segments" for m in first) < 3:
                first.append(json.loads(await socket.recv()))
        async with stack.socket(run["id"], after=first[-1]["seq"]) as socket:
            rest = await receive_until_finished(socket)
        return first, rest

    first, rest = run_async(watch_in_two_parts)
    assert first[-1]["type"] == "run.segments" and rest[0]["seq"] == first[-1]["seq"] + 1
    seqs = [message["seq"] for message in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert stack.run(run["id"])["last_seq"] == seqs[-1]


def test_two_workers_run_two_runs_at_once(stack: Stack) -> None:
    runs = [stack.start_run({"workload": workload(duration_s=60), "speed": 10}) for _ in range(2)]
    running = [stack.wait_status(run["id"], {"running"}, 30) for run in runs]
    assert {stack.worker_running(run).name for run in running} == {"worker1", "worker2"}
    for run in runs:
        stack.api("POST", f"/api/runs/{run['id']}/cancel/", {})
    for run in runs:
        stack.wait_status(run["id"], {"cancelled"}, 10)


def test_cancel_stops_a_running_run_promptly_and_keeps_what_it_produced(stack: Stack) -> None:
    run = stack.start_run({"workload": workload(duration_s=600), "speed": 1})
    stack.wait_status(run["id"], {"running"}, 30)
    wait_until(lambda: stack.run(run["id"])["segments"] > 0, 30, "the run's first segments stored")

    async def cancel_and_watch() -> list[dict[str, Any]]:
        async with stack.socket(run["id"]) as socket:
            stack.api("POST", f"/api/runs/{run['id']}/cancel/", {})
            # The worker reads the flag every 0.25 s; the run has ~590 virtual seconds to go at x1.
            return await receive_until_finished(socket, timeout_s=CANCEL_BOUND_S)

    messages = run_async(cancel_and_watch)
    assert messages[-1]["type"] == "run.finished" and messages[-1]["status"] == "cancelled"
    cancelled = stack.run(run["id"])
    assert cancelled["status"] == "cancelled" and cancelled["traces_stored"] > 0
    assert stack.api("GET", f"/api/runs/{run['id']}/summary/")["messages"]["accepted"] > 0


def test_a_killed_worker_leaves_its_run_failed_by_the_repair_within_a_bounded_time(stack: Stack) -> None:
    run = stack.start_run({"workload": workload(duration_s=600), "speed": 1})
    running = stack.wait_status(run["id"], {"running"}, 30)
    victim = stack.worker_running(running)

    victim.kill()
    failed = stack.wait_status(run["id"], {"failed", "finished", "cancelled"}, REPAIR_BOUND_S)
    assert failed["status"] == "failed"
    assert "stopped sending heartbeats" in failed["error"]

    stack.workers[stack.workers.index(victim)] = CeleryWorker(victim.name, stack.env, stack.log_dir)


# Enough viewers that one Daphne process carries many consumers; the Redis queue they share
# holds 2 messages, so the layer drops events past it whatever the machine's speed.
CROWD = 40
CROWD_CAPACITY = 2


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    try:
        built = LiveConsole(tmp_path_factory.mktemp("crowded"), production_like=True, workers=1,
                            env={"LOG_LEVEL": "INFO", "CHANNEL_CAPACITY": str(CROWD_CAPACITY)})
    except ServiceMissing as missing:
        pytest.fail(f"{missing} The production-like tests need it.", pytrace=False)
    yield built
    built.stop()


def test_forty_viewers_of_a_live_run_each_receive_the_whole_stream_in_order_past_the_layers_capacity(
        crowded: LiveConsole) -> None:
    run = crowded.api("POST", f"/api/topologies/{crowded.topology}/runs/", {"workload": workload(), "speed": 10})

    async def watch() -> list[list[int]]:
        async def viewer() -> list[int]:
            async with crowded.socket(run["id"]) as socket:
                return [message["seq"] for message in await receive_until_finished(socket, timeout_s=120)]

        return list(await asyncio.gather(*(viewer() for _ in range(CROWD))))

    received = run_async(watch)
    last_seq = crowded.api("GET", f"/api/runs/{run['id']}/")["last_seq"]
    assert all(seqs == list(range(1, last_seq + 1)) for seqs in received)


def test_a_viewer_leaving_during_the_replay_of_a_long_log_stops_its_consumer_quietly(stack: Stack) -> None:
    # A metrics event per virtual second: thousands of events, so the replay is still going (many
    # pages of the log) when the viewer's close arrives.
    run = stack.start_run({"workload": workload(per_second=5, duration_s=3000), "speed": None})
    finished = stack.wait_status(run["id"], {"finished"}, 120)
    assert finished["last_seq"] > 3000
    assert stack.daphne is not None
    log_before = len(stack.daphne.log())

    async def leave_early() -> str:
        async with stack.socket(run["id"]) as socket:
            first: str = await socket.recv()
        return first

    assert json.loads(run_async(leave_early))["seq"] == 1
    daphne = stack.daphne
    assert daphne is not None
    # Daphne reaps a consumer that ended once a second and logs the exception it raised, if any:
    # three reaping periods without one mean the consumer stopped quietly.
    with pytest.raises(TimeoutError):
        wait_until(lambda: "Traceback" in daphne.log()[log_before:], DAPHNE_REAPS_EVERY_S * 3,
                   "an exception of the consumer in Daphne's log")
