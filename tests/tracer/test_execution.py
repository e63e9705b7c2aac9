"""Executing a run (tracer/execution.py): it stops at its next poll when someone else ended it,
and at a limit while it runs, keeping what it produced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from designer import services as designer
from designer.models import Topology
from tests.tracer.conftest import workload
from tracer import execution, services
from tracer.execution import Execution, no_publish
from tracer.models import Run

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


def running(alice: Any, topology: Topology, body: dict[str, Any]) -> Run:
    """A claimed run of ``body`` as it is, past the checks at start (what an older console let in)."""
    version = designer.latest_version(topology)
    now = timezone.now()
    return Run.objects.create(topology=topology, topology_version=version.number, document=version.document,
                              workload=body, seed=7, owner=alice, status=Run.Status.RUNNING, started_at=now,
                              heartbeat_at=now)


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
