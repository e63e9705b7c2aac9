"""The run stream's benchmarks: from the Celery task to one WebSocket client, and the database.

1. Segments per second to one client "as fast as possible", in each mode: embedded (Daphne with
   its worker thread, SQLite, the in-memory layer) and production-like (PostgreSQL, Redis broker
   and channels_redis, one `celery -A console worker`). The run is the pipeline of benchmark 2
   (API Gateway -> SQS -> Lambda -> DynamoDB, sized so nothing throttles). Two rates: the task's
   (segments over its wall time, start to finish, from the Run row) and the client's (segments
   received over the time from its first batch to run.finished).
2. Latency from emulation to the client at x1, in the production-like mode: a segment that ends at
   virtual second v is due at wall time t0 + v; its latency is when its batch arrives minus that.
   t0 is not sent on the stream, so it is taken as the earliest (arrival - v) over the run: the
   figures are relative to the fastest batch, and understate the true latency by that batch's own
   (a few milliseconds: one database write and one hop through Redis).
3. Database insert rate of trace rows (one per message, its segments as one JSON text) and stream
   events, through the same writes the task makes (tracer/storage.py's insert_rows: COPY on
   PostgreSQL, executemany on SQLite), SQLite and PostgreSQL.
4. 300 viewers of one live run at x1, in each mode (benchmarks/viewers.py): whether every one
   received the whole stream in order, run.finished's delay to the last viewer, events/s.

Every process is real and local (tests/live.py starts them); the PostgreSQL and Redis servers are
the machine's (WIRETAP_E2E_POSTGRES_URL, WIRETAP_E2E_REDIS_URL as for the tests).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

# A run that never ends (a worker that cannot take it) fails its benchmark instead of hanging it.
WATCH_TIMEOUT_S = 300
EPOCH = 1767225600.0  # emulator.tracing.EPOCH (not imported: this module loads no Django)

INSERT_SCRIPT = """
import json, time
from django.contrib.auth.models import User
from designer.services import create_topology
from tracer.models import Run
from tracer.storage import EventRow, TraceRow
from tracer.stream import EventLog
alice = User.objects.create_user('bench', password='correct-horse-battery-9')
topology = create_topology(alice, template_id='scalable-webhook').topology
run = Run.objects.create(topology=topology, topology_version=1, document={{}}, workload={{}}, seed=1, owner=alice)
segment = {{"name": "Inbox", "id": "0" * 16, "trace_id": "1-00000000-" + "0" * 24, "start_time": 1.0,
           "end_time": 2.0, "annotations": {{"message_id": "msg-000001", "outcome": "ok"}}}}
segments = json.dumps([segment] * 6)
rows, batch = {rows}, 500
log = EventLog(run.pk, 0, lambda run_id, events: None)
started = time.perf_counter()
for first in range(0, rows, batch):
    traces = [TraceRow(run.pk, f"1-{{n:08x}}-x", f"msg-{{n}}", "completed", "Partner", 0.0, 1.0, 1000.0, " A B C ",
                       False, False, False, 6, segments) for n in range(first, first + batch)]
    log.flush(traces=traces)
trace_seconds = time.perf_counter() - started
body = json.dumps({{"type": "run.segments", "seq": 0, "segments": [segment] * 500}})
from django.db import transaction
from tracer.models import RunEvent
from tracer.storage import insert_rows
started = time.perf_counter()
for first in range(0, rows // 10, 50):
    with transaction.atomic():
        insert_rows(RunEvent, [EventRow(run.pk, n + 1, "run.segments", body) for n in range(first, first + 50)])
event_seconds = time.perf_counter() - started
print(json.dumps({{"trace_rows_per_s": rows / trace_seconds, "events_per_s": rows // 10 / event_seconds,
                  "event_bytes": len(body)}}))
"""


class SegmentTimes(msgspec.Struct):
    start_time: float
    end_time: float | None = None


class Watched(msgspec.Struct):
    """What the benchmark's client reads of a stream message."""

    type: str
    segments: list[SegmentTimes] = []


class Console:
    """A console of one mode (tests/live.py) with alice signed in and the pipeline as her topology."""

    def __init__(self, mode: str, log_dir: Path) -> None:
        from benchmarks.__main__ import pipeline_documents
        from tests.live import LiveConsole

        topology, self.workload = pipeline_documents(1)
        self.live = LiveConsole(log_dir, production_like=mode != "embedded", topology={"document": topology},
                                env={"LOG_LEVEL": "WARNING", "WIRETAP_TRACE_CAP": "10000000"})
        self.mode, self.topology, self.api = mode, self.live.topology, self.live.api

    def run(self, messages: int, rate: float, speed: float | None) -> dict[str, Any]:
        """Start a run and watch it on one WebSocket; returns the client's timings.

        The client decodes only what it measures (each message's type, its segments' times), with
        msgspec: decoding whole documents with json.loads took it some 12 µs a segment, CPU that
        the console's own processes share on this machine.
        """

        decode = msgspec.json.Decoder(Watched).decode

        workload = {**self.workload, "duration_s": messages / rate + 1,
                    "sources": [{**self.workload["sources"][0], "rate": {"per_second": rate}, "count": messages}]}
        run = self.api("POST", f"/api/topologies/{self.topology}/runs/", {"workload": workload, "speed": speed})

        async def watch() -> dict[str, Any]:
            arrivals: list[tuple[float, float, int]] = []  # (arrival, latest virtual end, segments)
            async with asyncio.timeout(WATCH_TIMEOUT_S), self.live.socket(run["id"]) as socket:
                while True:
                    message = decode(await socket.recv(decode=False))
                    now = time.time()
                    if message.type == "run.segments":
                        latest = max(s.start_time if s.end_time is None else s.end_time for s in message.segments)
                        arrivals.append((now, latest - EPOCH, len(message.segments)))
                    elif message.type == "run.finished":
                        return {"arrivals": arrivals, "finished": now}

        try:
            watched = asyncio.run(watch())
        except TimeoutError:
            raise RuntimeError(f"run {run['id']} did not finish within {WATCH_TIMEOUT_S} s "
                               f"(the console's logs: {self.live.log_dir})") from None
        stored = self.api("GET", f"/api/runs/{run['id']}/")
        return {**watched, "run": stored}

    def stop(self) -> None:
        self.live.stop()


def _seconds(start: str | None, end: str | None) -> float:
    from datetime import datetime

    assert start and end
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def throughput(mode: str, messages: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        console = Console(mode, Path(directory))
        try:
            watched = console.run(messages, rate=2000, speed=None)
        finally:
            console.stop()
    arrivals, run = watched["arrivals"], watched["run"]
    segments = sum(count for _, _, count in arrivals)
    client_s = watched["finished"] - arrivals[0][0]
    task_s = _seconds(run["started_at"], run["finished_at"])
    print(f"   {mode:<16}{segments:>9,} segments in {len(arrivals):,} batches: "
          f"task {run['segments'] / task_s:>9,.0f}/s, client {segments / client_s:>9,.0f}/s ({client_s:.1f} s)")


def latency_at_x1(messages: int, rate: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        console = Console("production-like", Path(directory))
        try:
            watched = console.run(messages, rate=rate, speed=1)
        finally:
            console.stop()
    arrivals = watched["arrivals"]
    start = min(arrival - virtual for arrival, virtual, _ in arrivals)
    latencies = sorted((arrival - virtual - start) * 1000 for arrival, virtual, _ in arrivals)
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(f"   {len(latencies):,} batches over {arrivals[-1][1]:.0f} virtual s: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
          f"max {latencies[-1]:.0f} ms (relative to the fastest batch; target p99 < 100 ms)")


def insert_rate(rows: int) -> None:
    from tests.live import drop_postgres_database, manage, postgres_database

    with tempfile.TemporaryDirectory() as directory:
        for label, make in (("SQLite", lambda: (None, f"sqlite:///{Path(directory) / 'insert.sqlite3'}")),
                            ("PostgreSQL", lambda: postgres_database("wiretap_bench"))):
            name, url = make()
            try:
                env = {"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
                manage(env, "migrate", "--no-input")
                figures = json.loads(manage(env, "shell", "-c", INSERT_SCRIPT.format(rows=rows)).splitlines()[-1])
            finally:
                if name:
                    drop_postgres_database(name)
            print(f"   {label:<11} {figures['trace_rows_per_s']:>9,.0f} trace rows/s (6 segments each: "
                  f"{figures['trace_rows_per_s'] * 6:,.0f} segments/s), {figures['events_per_s']:>7,.0f} "
                  f"events/s of {figures['event_bytes'] / 1000:.0f} KB (500 segments each)")


def stream_benchmark(quick: bool = False) -> int:
    """Sections 7-10; returns how many parts could not run (each says why)."""
    messages = 5_000 if quick else 30_000
    print(f"\n7. Run stream: the pipeline, {messages:,} messages as fast as possible, to one WebSocket client")
    failed = 0
    for mode in ("embedded", "production-like"):
        try:
            throughput(mode, messages)
        except Exception as error:  # one mode's failure (no Redis here) must not hide the others
            print(f"   {mode}: failed: {error}")
            failed += 1
    print("\n8. Latency from emulation to the client at x1 (production-like), 50 messages/s for 20 s")
    try:
        latency_at_x1(1000, 50)
    except Exception as error:
        print(f"   failed: {error}")
        failed += 1
    print("\n9. Database inserts through the task's bulk writes")
    try:
        insert_rate(5_000 if quick else 20_000)
    except Exception as error:
        print(f"   failed: {error}")
        failed += 1
    from benchmarks.viewers import viewers_benchmark

    return failed + viewers_benchmark(quick)


if __name__ == "__main__":
    sys.exit(1 if stream_benchmark(quick="--quick" in sys.argv) else 0)
