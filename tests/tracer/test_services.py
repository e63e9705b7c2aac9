"""Starting, executing (claim, idempotence), cancelling and repairing runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from django.utils import timezone

from designer import services as designer
from designer.models import Topology
from designer.services import InvalidInput
from emulator.live import Controls
from tests.tracer.conftest import workload
from tracer import execution, services
from tracer.models import Run, RunEvent, Trace

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run reads its controls between every two slices (not every 0.25 s of wall time)."""
    monkeypatch.setattr(execution, "FLUSH_EVERY_S", 0.0)
    monkeypatch.setattr(execution, "POLL_EVERY_S", 0.0)


def types(run: Run) -> list[str]:
    return list(RunEvent.objects.filter(run=run).order_by("seq").values_list("type", flat=True))


def test_start_run_queues_a_snapshot_and_enqueues_after_commit(alice: Any, topology: Topology,
                                                               django_capture_on_commit_callbacks: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr(services, "enqueue", enqueued.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.start_run(alice, topology, workload(), speed=10)
    assert enqueued == []  # not before the commit
    for callback in callbacks:
        callback()

    assert enqueued == [run.pk]
    assert (run.status, run.topology_version, run.seed, run.speed) == ("queued", 1, 7, 10.0)
    assert run.document["components"] == designer.latest_version(topology).document["components"]


@pytest.mark.parametrize("body, pointer", [
    ({"format": "wiretap.workload/1", "duration_s": 1, "sources": [{"target": "Nowhere", "rate": {"per_second": 1}}]},
     "/workload/sources/0/target"),
    ({"format": "nope"}, "/workload/format"),
])
def test_start_run_refuses_a_workload_that_cannot_run(alice: Any, topology: Topology, body: Any,
                                                      pointer: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.start_run(alice, topology, body)

    assert pointer in [problem.pointer for problem in refused.value.problems]
    assert not Run.objects.exists()


def test_start_run_refuses_a_topology_with_errors(alice: Any) -> None:
    broken = designer.create_topology(alice, document={"format": "wiretap.topology/1", "components": [
        {"id": "A", "kind": "no-such-kind"}]}).topology

    with pytest.raises(InvalidInput, match="the topology has errors"):
        services.start_run(alice, broken, workload())
    assert not Run.objects.exists()


def test_a_run_without_a_seed_draws_a_random_one_and_keeps_it(alice: Any, topology: Topology) -> None:
    unseeded = {key: value for key, value in workload().items() if key != "seed"}
    seeds = {services.start_run(alice, topology, unseeded).seed for _ in range(4)}

    assert len(seeds) == 4 and all(0 <= seed <= services.MAX_SEED for seed in seeds)
    assert set(Run.objects.values_list("seed", flat=True)) == seeds
    assert services.start_run(alice, topology, unseeded, seed=5).seed == 5
    assert services.start_run(alice, topology, workload()).seed == 7  # the workload's own


def test_start_run_refuses_a_bad_speed_and_seed(alice: Any, topology: Topology) -> None:
    with pytest.raises(InvalidInput):
        services.start_run(alice, topology, workload(), speed=0)
    with pytest.raises(InvalidInput):
        services.start_run(alice, topology, workload(), seed=-1)


def test_a_run_executes_streams_and_stores_every_message(queued_run: Run) -> None:
    assert services.execute_run(queued_run.pk, "test-worker") == "finished"

    run = Run.objects.get(pk=queued_run.pk)
    accepted = run.summary["messages"]["accepted"]
    assert run.status == "finished" and run.worker == "test-worker" and run.error == ""
    assert accepted > 0 and run.traces_seen == run.traces_stored == accepted == run.traces.count()
    seqs = list(RunEvent.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, run.last_seq + 1))
    kinds = types(run)
    assert kinds[0] == "run.status" and kinds[-1] == "run.finished"
    assert {"run.segments", "run.metrics"} <= set(kinds)
    streamed = sum(len(msgspec.json.decode(body)["segments"])
                   for body in RunEvent.objects.filter(run=run, type="run.segments").values_list("body", flat=True))
    stored = sum(run.traces.values_list("segment_count", flat=True))
    assert streamed == stored == run.segments_seen


def test_a_second_delivery_does_nothing(queued_run: Run) -> None:
    assert services.execute_run(queued_run.pk) == "finished"
    events = RunEvent.objects.filter(run=queued_run).count()

    assert services.execute_run(queued_run.pk) is None
    assert RunEvent.objects.filter(run=queued_run).count() == events
    assert Run.objects.get(pk=queued_run.pk).status == "finished"


def test_the_same_seed_stores_the_same_traces(alice: Any, topology: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    runs = [services.start_run(alice, topology, workload()) for _ in range(2)]
    for run in runs:
        services.execute_run(run.pk)

    first, second = ([list(Trace.objects.filter(run=run).order_by("trace_id").values_list("trace_id", "segments"))]
                     for run in runs)
    assert first == second


@pytest.mark.usefixtures("eager_polling")
def test_cancel_stops_a_running_run_and_keeps_what_it_produced(queued_run: Run,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    original = execution.Execution._sample

    def cancel_after_first_sample(self: execution.Execution, sample: Any) -> None:
        original(self, sample)
        services.cancel_run(Run.objects.get(pk=self.run_id))

    monkeypatch.setattr(execution.Execution, "_sample", cancel_after_first_sample)
    assert services.execute_run(queued_run.pk) == "cancelled"

    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == "cancelled" and run.summary is not None
    assert run.summary["virtual_seconds"] < 3
    assert run.traces.exists()
    finished = msgspec.json.decode(RunEvent.objects.filter(run=run).order_by("seq").last().body)
    assert finished["type"] == "run.finished" and finished["status"] == "cancelled"


def test_cancelling_a_queued_run_cancels_it_at_once(queued_run: Run) -> None:
    run = services.cancel_run(queued_run)

    assert run.status == "cancelled" and types(run) == ["run.finished"]
    assert services.execute_run(run.pk) is None


@pytest.mark.usefixtures("eager_polling")
def test_controls_reach_the_run_and_are_announced(queued_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    original = execution.Execution._sample
    seen: list[Controls] = []

    def slow_down_then_watch(self: execution.Execution, sample: Any) -> None:
        original(self, sample)
        if not seen:
            services.control_run(Run.objects.get(pk=self.run_id), speed=None, paused=False)
            Run.objects.filter(pk=self.run_id).update(speed=1000.0)
        seen.append(self.controls)

    monkeypatch.setattr(execution.Execution, "_sample", slow_down_then_watch)
    services.execute_run(queued_run.pk)

    assert seen[-1].speed == 1000.0
    statuses = [msgspec.json.decode(body) for body in
                RunEvent.objects.filter(run=queued_run, type="run.status").values_list("body", flat=True)]
    assert [status["speed"] for status in statuses] == [None, 1000.0]


def test_a_run_that_fails_records_why(queued_run: Run) -> None:
    Run.objects.filter(pk=queued_run.pk).update(workload={"format": "wiretap.workload/1"})

    assert services.execute_run(queued_run.pk) == "failed"
    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == "failed" and "InvalidDocument" in run.error
    assert msgspec.json.decode(RunEvent.objects.get(run=run, seq=run.last_seq).body)["status"] == "failed"


def test_repair_fails_runs_with_a_stale_heartbeat_and_unclaimed_old_ones(queued_run: Run, alice: Any,
                                                                          topology: Topology) -> None:
    now = timezone.now()
    Run.objects.filter(pk=queued_run.pk).update(status="running", heartbeat_at=now - timedelta(minutes=5))
    fresh = Run.objects.create(topology=topology, topology_version=1, document={}, workload={}, seed=1, owner=alice,
                               status="running", heartbeat_at=now)
    forgotten = Run.objects.create(topology=topology, topology_version=1, document={}, workload={}, seed=1,
                                   owner=alice)
    Run.objects.filter(pk=forgotten.pk).update(created_at=now - timedelta(hours=1))

    assert sorted(services.repair_stuck_runs()) == sorted([queued_run.pk, forgotten.pk])
    stuck = Run.objects.get(pk=queued_run.pk)
    assert stuck.status == "failed" and "heartbeats" in stuck.error
    assert types(stuck) == ["run.finished"]
    assert Run.objects.get(pk=fresh.pk).status == "running"
    assert "no worker" in Run.objects.get(pk=forgotten.pk).error
    assert services.repair_stuck_runs() == []


@pytest.mark.usefixtures("eager_polling")
def test_a_worker_presumed_dead_stops_when_it_finds_its_run_failed(queued_run: Run,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    original = execution.Execution._sample

    def repaired_meanwhile(self: execution.Execution, sample: Any) -> None:
        original(self, sample)
        Run.objects.filter(pk=self.run_id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        services.repair_stuck_runs()

    monkeypatch.setattr(execution.Execution, "_sample", repaired_meanwhile)
    assert services.execute_run(queued_run.pk) == "failed"

    run = Run.objects.get(pk=queued_run.pk)
    assert run.status == "failed" and "heartbeats" in run.error
    seqs = list(RunEvent.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and run.last_seq == seqs[-1]


def test_every_stored_trace_is_announced_once_with_its_outcome(queued_run: Run) -> None:
    services.execute_run(queued_run.pk, "test-worker")
    run = Run.objects.get(pk=queued_run.pk)
    announced: dict[str, tuple[str, float]] = {}
    for body in RunEvent.objects.filter(run=run, type="run.traces").values_list("body", flat=True):
        for item in msgspec.json.decode(body)["traces"]:
            assert item["trace_id"] not in announced
            announced[item["trace_id"]] = (item["outcome"], item["duration_ms"])
    stored = {row.trace_id: (row.outcome, row.duration_ms) for row in run.traces.all()}
    assert announced == stored and len(stored) > 0


def test_messages_still_in_flight_at_the_end_are_stored_and_announced_as_such(
        alice: Any, topology: Topology, monkeypatch: pytest.MonkeyPatch) -> None:
    # Poison messages keep failing and going back to the queue: with a short drain, the run ends
    # before the redrive policy dead-letters them, and the page must not count them as completed.
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.start_run(alice, topology, {**workload(poison_rate=0.2), "drain_s": 5})
    services.execute_run(run.pk)

    stored = {row.trace_id: row.outcome for row in Trace.objects.filter(run=run)}
    announced = {item["trace_id"]: item["outcome"]
                 for body in RunEvent.objects.filter(run=run, type="run.traces").values_list("body", flat=True)
                 for item in msgspec.json.decode(body)["traces"]}
    assert announced == stored
    assert list(stored.values()).count("in_flight") == Run.objects.get(pk=run.pk).summary["messages"]["in_flight"] > 0
