"""The Celery task that executes a run: it takes the id and lets the service claim and run it.

Safe to deliver twice: the claim (queued -> running, one conditional UPDATE) lets one delivery
through; any other returns at once.
"""

from __future__ import annotations

from celery import shared_task

from tracer import services


@shared_task(name="tracer.run_simulation", ignore_result=True, acks_late=False)
def run_simulation(run_id: int) -> str | None:
    return services.execute_run(run_id)


@shared_task(name="tracer.repair_stuck_runs", ignore_result=True)
def repair_stuck_runs() -> list[int]:
    return services.repair_stuck_runs()
