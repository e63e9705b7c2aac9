"""The Celery app: the embedded worker does what a `celery worker` process does."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from console import celery
from tracer import services


def test_the_embedded_worker_starts_the_repair_of_stuck_runs_as_a_real_worker_does(
        monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.WIRETAP_REPAIR_EVERY_S = 123
    repaired = threading.Event()
    monkeypatch.setattr(services, "repair_stuck_runs", lambda: repaired.set())
    intervals: list[float] = []
    stops: list[threading.Event] = []

    def repair_every(interval_s: float) -> threading.Event:
        intervals.append(interval_s)
        stops.append(original(interval_s))
        return stops[-1]

    original = celery._repair_every
    monkeypatch.setattr(celery, "_repair_every", repair_every)
    started: list[dict[str, Any]] = []

    class WorkController:  # the worker itself is not under test: it returns at once
        def __init__(self, **options: Any) -> None:
            self.options = options

        def start(self) -> None:
            started.append(self.options)

    monkeypatch.setattr(celery.app, "WorkController", WorkController)
    try:
        celery._run_embedded_worker()
        assert repaired.wait(timeout=30)  # the first check runs at once, in the repair's thread
    finally:
        for stop in stops:
            stop.set()
    assert intervals == [123] and len(started) == 1 and started[0]["pool_cls"] == "solo"
