"""The replay log's writer: a run written in the background is stored and published whole and in
order; waiting jobs share one transaction; the writer's first error reaches the simulation."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tracer import services
from tracer.models import Run, RunEvent
from tracer.stream import Event, Writer

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    def __init__(self) -> None:
        self.published: list[int] = []
        self.threads: set[str] = set()

    def publish(self, run_id: int, events: list[Event]) -> None:
        self.published.extend(seq for seq, _, _ in events)
        self.threads.add(threading.current_thread().name)


def test_a_run_written_in_the_background_is_stored_and_published_whole_and_in_order(
        queued_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(services, "publisher", lambda: recorder)

    assert services.execute_run(queued_run.pk, "test-worker") == "finished"

    run = Run.objects.get(pk=queued_run.pk)
    stored = list(RunEvent.objects.filter(run=run).order_by("seq").values_list("seq", flat=True))
    assert stored == list(range(1, run.last_seq + 1)) == recorder.published
    assert "wiretap-writer" in recorder.threads  # the writes went to the writer's thread
    assert run.traces_stored == run.traces.count() == run.summary["messages"]["accepted"] > 0
    assert not any(thread.name == "wiretap-writer" for thread in threading.enumerate())


def test_jobs_that_wait_are_written_together() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[list[Any]] = []

    def write(jobs: list[Any]) -> None:
        calls.append(jobs)
        started.set()
        assert release.wait(10)

    writer = Writer(write)
    jobs = [([(n, "run.status", "{}")], [], 2) for n in range(1, 5)]
    writer.submit(jobs[0])
    assert started.wait(10)  # the first is being written; the others queue behind it
    for job in jobs[1:]:
        writer.submit(job)
    release.set()
    writer.drain()
    writer.close()
    assert calls == [[jobs[0]], jobs[1:]]


def test_the_writers_first_error_reaches_the_caller_and_nothing_after_it_is_written() -> None:
    written: list[Any] = []

    def write(jobs: list[Any]) -> None:
        for job in jobs:
            if job[0][0][0] == 2:
                raise RuntimeError("the database went away")
            written.append(job)

    writer = Writer(write)
    writer.submit(([(1, "run.status", "{}")], [], 2))
    writer.drain()
    writer.submit(([(2, "run.status", "{}")], [], 2))
    with pytest.raises(RuntimeError, match="went away"):
        writer.drain()
    with pytest.raises(RuntimeError, match="went away"):
        writer.submit(([(3, "run.status", "{}")], [], 2))
    writer.close()
    assert [job[0][0][0] for job in written] == [1]
