"""The Celery task that executes a run: it takes the id and lets the service claim and run it.

Safe to deliver twice: the claim (queued -> running, one conditional UPDATE) lets one delivery
through; any other returns at once.

Acknowledged late, when the run is over: a worker then holds one run's message at a time (with
the prefetch multiplier of 1), so a second run goes to an idle worker instead of waiting behind
the first in a busy worker's prefetch. A worker that dies leaves its message to be redelivered,
which the claim turns into nothing (the repair fails the run).
"""

from __future__ import annotations

from celery import shared_task

from tracer import services


@shared_task(name="tracer.run_simulation", ignore_result=True, acks_late=True)
def run_simulation(run_id: int) -> str | None:
    return services.execute_run(run_id)


@shared_task(name="tracer.repair_stuck_runs", ignore_result=True)
def repair_stuck_runs() -> list[int]:
    return services.repair_stuck_runs()
