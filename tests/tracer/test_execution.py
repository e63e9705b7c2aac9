"""Executing a run (tracer/execution.py): it stops at its next poll when someone else ended it,
and at a limit while it runs, keeping what it produced; a paced run cuts its stream into few events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone

from designer import services as designer
from designer.models import Topology
from tests.tracer.conftest import workload
from tracer import execution, limits, services
from tracer.execution import Execution, no_publish
from tracer.models import Run, RunEvent, Trace

pytestmark = pytest.mark.django_db

EVENT_S = 10e-6  # the fake wall clock: 10 µs of work per kernel event


class WorkClock:
    """A wall clock that runs with the simulation's work, so a test sees "within a quarter second"
    as a number of events and never waits."""

    def __init__(self) -> None:
        self.execution: Execution | None = None

    def __call__(self) -> float:
        simulation = self.execution.simulation if self.execution is not None else None
        return simulation.kernel.events_processed * EVENT_S if simulation is not None else 0.0


def running(alice: Any, topology: Topology, body: dict[str, Any], status: str = Run.Status.RUNNING) -> Run:
    """A claimed run of ``body`` as it is, past the checks at start (what an older console let in)."""
    version = designer.latest_version(topology)
    now = timezone.now()
    return Run.objects.create(topology=topology, topology_version=version.number, document=version.document,
                              workload=body, seed=7, owner=alice, status=status, started_at=now, heartbeat_at=now)


def flood(alice: Any, topology: Topology) -> Run:
    # 100,000 messages a second for ten minutes: some 60 million messages, hours of work.
    return running(alice, topology, workload(per_second=100_000, duration_s=600))


def execute(run: Run, clock: WorkClock) -> tuple[Execution, str]:
    work = Execution(run, no_publish, clock=clock, sleep=lambda seconds: None)
    clock.execution = work
    return work, work.execute()


@pytest.mark.parametrize("ended_as", ["failed", "cancelled"])
def test_a_worker_whose_run_someone_else_ended_stops_simulating_at_its_next_poll(
        alice: Any, topology: Topology, monkeypatch: pytest.MonkeyPatch, ended_as: str) -> None:
    run = flood(alice, topology)
    ended_at: list[int] = []
    original = Execution._deliver

    def end_it_meanwhile(self: Execution, batch: Any) -> None:
        original(self, batch)
        if not ended_at:  # mid-slice: the repair (or anyone) ends the run while this worker floods on
            assert self.simulation is not None
            ended_at.append(self.simulation.kernel.events_processed)  # as of the slice's start
            if ended_as == "failed":
                Run.objects.filter(pk=self.run_id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
                assert services.repair_stuck_runs() == [self.run_id]
            else:
                Run.objects.filter(pk=self.run_id).update(status=Run.Status.CANCELLED)

    monkeypatch.setattr(Execution, "_deliver", end_it_meanwhile)
    work, status = execute(run, WorkClock())

    assert status == ended_as and Run.objects.get(pk=run.pk).status == ended_as
    assert work.simulation is not None
    # The rest of the slice under way, then at most a poll interval of work and one more slice.
    bound = ended_at[0] + 2 * execution.EVENTS_PER_SLICE + (execution.POLL_EVERY_S + execution.FLUSH_EVERY_S) / EVENT_S
    assert work.simulation.kernel.events_processed <= bound


# Limits while running ---------------------------------------------------------------------------

@pytest.fixture
def eager_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run looks at its controls and limits between every two slices, not every 0.1 s of wall time."""
    monkeypatch.setattr(execution, "FLUSH_EVERY_S", 0.0)
    monkeypatch.setattr(execution, "POLL_EVERY_S", 0.0)


@pytest.fixture
def kilobytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The byte limits' megabytes are kilobytes, so that a test's small runs reach them."""
    monkeypatch.setattr(limits, "MB", 1_000)


def stopped(run: Run) -> tuple[Run, dict[str, Any]]:
    """The run as stored after executing it, and its run.finished event."""
    services.execute_run(run.pk)
    run = Run.objects.get(pk=run.pk)
    return run, msgspec.json.decode(RunEvent.objects.get(run=run, seq=run.last_seq).body)


def balanced(summary: dict[str, Any]) -> bool:
    messages = summary["messages"]
    return messages["accepted"] == sum(messages[key] for key in ("completed", "dead_lettered", "in_flight", "lost"))


@pytest.mark.usefixtures("eager_polling")
@pytest.mark.parametrize("setting, value, limit, says", [
    ("WIRETAP_MAX_STORED_TRACES", 20, "stored_traces", "traces, the most a run may"),
    ("WIRETAP_MAX_RUN_EVENTS", 6, "events", "events, the most a run may"),
    ("WIRETAP_MAX_RUN_MB", 40, "bytes", "MB with what its messages in flight will store, the most a run may"),
])
def test_a_run_that_reaches_a_limit_stops_says_which_and_keeps_what_it_produced(
        queued_run: Run, settings: Any, monkeypatch: pytest.MonkeyPatch, setting: str, value: int, limit: str,
        says: str) -> None:
    if setting == "WIRETAP_MAX_RUN_MB":
        monkeypatch.setattr(limits, "MB", 1_000)  # "kilobytes": this small run reaches 40 of them
    setattr(settings, setting, value)

    run, finished = stopped(queued_run)

    assert (run.status, run.limit, finished["status"], finished["limit"]) == ("cancelled", limit, "cancelled", limit)
    assert says in run.error and setting in run.error and finished["error"] == run.error
    assert run.summary == finished["summary"] and balanced(run.summary)
    sent = 20 * 3  # the workload's messages: it stopped before sending them all
    assert 0 < run.traces.count() == run.traces_stored and run.summary["messages"]["accepted"] < sent


@pytest.mark.usefixtures("eager_polling")
def test_the_guard_stops_a_run_that_accepts_far_more_messages_than_the_limit(alice: Any, topology: Topology,
                                                                             settings: Any) -> None:
    settings.WIRETAP_MAX_MESSAGES = 10  # the guard: 10 + 100
    run = running(alice, topology, workload(per_second=20, duration_s=30), Run.Status.QUEUED)  # 600, let in

    run, finished = stopped(run)

    assert (run.limit, finished["limit"]) == ("messages", "messages") and "WIRETAP_MAX_MESSAGES" in run.error
    assert 110 < run.summary["messages"]["accepted"] < 600 and balanced(run.summary)


@pytest.mark.usefixtures("eager_polling", "kilobytes")
def test_a_run_stops_at_what_the_owners_quota_leaves(queued_run: Run, alice: Any, topology: Topology,
                                                    settings: Any) -> None:
    settings.WIRETAP_QUOTA_RUNS_MB = 100  # "kilobytes": 100,000 bytes
    older = running(alice, topology, workload())
    Run.objects.filter(pk=older.pk).update(status="finished", stored_bytes=70_000)

    run, finished = stopped(queued_run)

    assert (run.limit, finished["limit"]) == ("quota", "quota") and "WIRETAP_QUOTA_RUNS_MB" in run.error
    assert run.stored_bytes >= 30_000 and run.summary["messages"]["accepted"] < 20 * 3


def test_stored_bytes_are_the_text_the_run_stores(alice: Any, topology: Topology,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Poison messages still in flight at the end: their late segments are merged into stored rows.
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.start_run(alice, topology, {**workload(poison_rate=0.2), "drain_s": 5})
    services.execute_run(run.pk)

    run = Run.objects.get(pk=run.pk)
    events = RunEvent.objects.filter(run=run).aggregate(size=Sum(Length("body")))["size"]
    traces = Trace.objects.filter(run=run).aggregate(size=Sum(Length("segments")))["size"]
    assert run.summary["messages"]["in_flight"] > 0
    assert run.stored_bytes == limits.snapshot_bytes(run.document, run.workload) + events + traces



@pytest.mark.usefixtures("kilobytes")
def test_big_messages_stop_the_run_close_to_the_byte_limit_counting_what_is_in_flight(
        alice: Any, topology: Topology, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execution, "EVENT_BYTES", 200_000)  # 20 KB messages: batches of 10 segments
    settings.WIRETAP_MAX_RUN_MB, settings.WIRETAP_QUOTA_RUNS_MB = 2_000, 100_000  # "kilobytes": 2 MB, 100 MB
    body = workload(per_second=50, duration_s=10, payload={"blob": "x" * 20_000})  # some 40 MB unlimited
    run = running(alice, topology, body, Run.Status.QUEUED)

    run, finished = stopped(run)

    assert (run.limit, finished["limit"]) == ("bytes", "bytes") and balanced(run.summary)
    # Checked after every batch of segments, counting what its messages in flight will add (at
    # most three times what they hold): past the limit by a batch at most, not by a slice of
    # virtual time or by the messages still in flight when it closes.
    assert 2_000_000 / 3 <= run.stored_bytes <= 2_000_000 + 10 * 2 * 20_000 * 1.25



class FakeTime:
    """The wall clock of a paced run: it moves only when the run sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_run_at_x1_sends_its_segments_in_events_at_most_every_50_ms_and_every_one_of_them(
        alice: Any, topology: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.start_run(alice, topology, workload(per_second=50, duration_s=4), speed=1)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING)
    fake = FakeTime()

    status = Execution(Run.objects.get(pk=run.pk), execution.no_publish, clock=fake.clock, sleep=fake.sleep).execute()

    assert status == "finished"
    batches = [msgspec.json.decode(body)["segments"] for body in
               RunEvent.objects.filter(run=run, type="run.segments").values_list("body", flat=True)]
    # 200 messages, several segments each: one event a segment would be hundreds.
    assert len(batches) <= fake.now / execution.PAUSE_FLUSH_EVERY_S + 1
    assert sum(map(len, batches)) == Run.objects.get(pk=run.pk).segments_seen > 200
