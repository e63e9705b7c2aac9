"""Executing one run (tracer/execution.py): how a paced run cuts its stream into events."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from designer.models import Topology
from tests.tracer.conftest import workload
from tracer import execution, services
from tracer.execution import Execution
from tracer.models import Run, RunEvent

pytestmark = pytest.mark.django_db


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
