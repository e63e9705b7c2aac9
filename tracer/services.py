"""Runs' use cases: start, execute (the worker's side), control, cancel, repair; and their reads.

Views, the Celery task, the WebSocket consumer and the management command call these.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import secrets
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from designer.models import Topology
from designer.services import InvalidInput, latest_version, validate_document, whole_number
from emulator.problems import Problem
from emulator.topology import load_topology
from emulator.workload import MAX_SEED, check_workload, load_workload
from tracer import limits, protocol
from tracer.execution import Execution
from tracer.models import Run, RunEvent, Trace
from tracer.protocol import LoggedEvent
from tracer.stream import EventLog, publisher

log = logging.getLogger(__name__)


def _at(where: str, problems: list[Problem]) -> list[Problem]:
    return [dataclasses.replace(problem, pointer=where + problem.pointer) for problem in problems]


def _speed(value: Any, where: str = "/speed") -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInput([Problem(where, "must be a positive number of virtual seconds per wall second "
                                    "(1, 10, 100...) or null for as fast as possible")])
    return float(value)


# Starting ------------------------------------------------------------------------------------

def start_run(owner: AbstractBaseUser, topology: Topology, workload: Any, seed: Any = None,
              speed: Any = None) -> Run:
    """A queued run of the topology's latest version, handed to a worker once the transaction
    commits. Raises InvalidInput for a workload that cannot run on it or past a run's limits
    (tracer/limits.py), or a topology with errors; QuotaExceeded when the owner's runs fill their
    quota."""
    version = latest_version(topology)
    errors = [problem for problem in validate_document(version.document) if problem.severity == "error"]
    if errors:
        raise InvalidInput([dataclasses.replace(errors[0], message="the topology has errors (fix them in the "
                                                "designer first): " + errors[0].message), *errors[1:]])
    problems = _at("/workload", check_workload(workload, load_topology(version.document)))
    if not problems:
        problems = limits.start_problems(load_workload(workload))
    chosen_seed = None if seed is None else whole_number(seed)
    if seed is not None and (chosen_seed is None or not 0 <= chosen_seed <= MAX_SEED):
        problems.append(Problem("/seed", f"must be a whole number from 0 to {MAX_SEED}"))
    if problems:
        raise InvalidInput(problems)
    chosen_speed = _speed(speed)
    snapshot = limits.snapshot_bytes(version.document, workload)
    limits.check_runs_quota(owner.pk, snapshot)
    with transaction.atomic():
        run = Run.objects.create(
            topology=topology, topology_version=version.number, document=version.document, workload=workload,
            seed=run_seed(chosen_seed, workload), owner=owner, speed=chosen_speed, stored_bytes=snapshot)
        transaction.on_commit(lambda: enqueue(run.pk))
    return run


def run_seed(seed: int | None, workload: dict[str, Any]) -> int:
    """The seed asked for, else the workload's own (as the command line does), else a random one
    from the operating system's secure source, in 0..MAX_SEED; the run stores the one it used."""
    if seed is not None:
        return seed
    if "seed" in workload:
        return load_workload(workload).seed
    return secrets.randbelow(MAX_SEED + 1)


def enqueue(run_id: int) -> None:
    from tracer.tasks import run_simulation  # the task module imports this one

    run_simulation.delay(run_id)


# Executing (the worker's side) ---------------------------------------------------------------------

def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


def execute_run(run_id: int, worker: str | None = None) -> str | None:
    """Claim the run and execute it; None when it was not queued (a redelivery, a cancelled run)."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING, worker=(worker or worker_name())[:200], started_at=now, heartbeat_at=now)
    if not claimed:
        log.info("run %s is not queued (already claimed, cancelled or gone): nothing to do", run_id)
        return None
    run = Run.objects.get(pk=run_id)
    # A writer thread has a connection of its own, which could not see what a caller's open
    # transaction (a test's) holds: then the writes stay on this thread.
    return Execution(run, publisher().publish, background=not connection.in_atomic_block).execute()


def repair_stuck_runs(now: Any = None) -> list[int]:
    """Fail running runs whose heartbeat is older than WIRETAP_HEARTBEAT_TIMEOUT_S and queued runs
    no worker took within WIRETAP_QUEUE_TIMEOUT_S; returns their ids."""
    now = now or timezone.now()
    stale = Run.objects.filter(status=Run.Status.RUNNING,
                               heartbeat_at__lt=now - timedelta(seconds=settings.WIRETAP_HEARTBEAT_TIMEOUT_S))
    unclaimed = Run.objects.filter(status=Run.Status.QUEUED,
                                   created_at__lt=now - timedelta(seconds=settings.WIRETAP_QUEUE_TIMEOUT_S))
    repaired = []
    for run_id in stale.values_list("pk", flat=True):
        if _fail_run(run_id, Run.Status.RUNNING, "the worker running it stopped sending heartbeats for "
                     f"{settings.WIRETAP_HEARTBEAT_TIMEOUT_S} s (it died or lost the database); what it "
                     "produced is kept"):
            repaired.append(run_id)
    for run_id in unclaimed.values_list("pk", flat=True):
        if _fail_run(run_id, Run.Status.QUEUED, f"no worker took it within {settings.WIRETAP_QUEUE_TIMEOUT_S} s "
                     "(is a worker running? `make worker` with REDIS_URL set)"):
            repaired.append(run_id)
    return repaired


def _fail_run(run_id: int, expected: str, error: str) -> bool:
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, status=expected).first()
        if run is None:
            return False
        events = EventLog(run.pk, run.last_seq, publisher().publish)
        events.add(protocol.RunFinished(events.next_seq(), "failed", None, error=error))
        events.flush(run_changes={"status": Run.Status.FAILED, "error": error, "finished_at": timezone.now()})
    log.warning("run %s marked failed: %s", run_id, error)
    return True


# Controlling ---------------------------------------------------------------------------------------

def control_run(run: Run, speed: Any, paused: Any) -> Run:
    """Set the speed and pause of a run; the worker picks them up within a quarter second."""
    chosen = _speed(speed)
    if not isinstance(paused, bool):
        raise InvalidInput([Problem("/paused", "must be true or false")])
    Run.objects.filter(pk=run.pk).update(speed=chosen, paused=paused)
    run.refresh_from_db()
    return run


def cancel_run(run: Run) -> Run:
    """Ask the worker to stop (it keeps what was produced); a queued run is cancelled at once."""
    with transaction.atomic():
        Run.objects.filter(pk=run.pk).update(cancel_requested=True)
        if Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
                status=Run.Status.CANCELLED, finished_at=timezone.now()):
            run.refresh_from_db()
            events = EventLog(run.pk, run.last_seq, publisher().publish)
            events.add(protocol.RunFinished(events.next_seq(), "cancelled", None))
            events.flush()
    run.refresh_from_db()
    return run


def delete_run(run: Run) -> bool:
    """Delete a run that is over, with its replay log and traces (making room under the owner's
    quota); False, deleting nothing, when it is queued or running (cancel it first)."""
    deleted, _ = Run.objects.filter(pk=run.pk, status__in=[Run.Status.FINISHED, Run.Status.FAILED,
                                                           Run.Status.CANCELLED]).delete()
    return deleted > 0


# Reads ---------------------------------------------------------------------------------------------

def run_of(user: AbstractBaseUser, run_id: int) -> Run:
    """The user's run; raises Run.DoesNotExist for anyone else's."""
    return Run.objects.get(pk=run_id, owner=user)


class WatchState(NamedTuple):
    status: str
    last_seq: int  # the last event logged when it was read


def viewer_and_run(session: Any, run_id: int) -> tuple[Any, WatchState | None]:
    """The session's user, and the run's state if the run is theirs (``watch_state``): what the run
    socket needs after its handshake, in one database call."""
    user = auth.get_user(SimpleNamespace(session=session))
    return user, watch_state(user.pk, run_id) if user.is_authenticated else None


def watch_state(user_id: int, run_id: int) -> WatchState | None:
    """The run's state if it is the user's, else None: one query, the same for a run that does not
    exist and for someone else's, so that neither the answer nor its time tells them apart."""
    row = Run.objects.filter(pk=run_id, owner_id=user_id).values_list("status", "last_seq").first()
    return WatchState(*row) if row is not None else None


OVER = (Run.Status.FINISHED, Run.Status.FAILED, Run.Status.CANCELLED)


def events_after(run_id: int, after: int, upto: int | None = None, limit: int = 1000) -> list[LoggedEvent]:
    """(seq, type, body) of the run's events with after < seq <= upto, in order, at most ``limit``."""
    events = RunEvent.objects.filter(run_id=run_id, seq__gt=after)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    return list(events.order_by("seq").values_list("seq", "type", "body")[:limit])


def last_seq(run_id: int) -> int:
    """The seq of the run's last logged event (0 when there is none, or no such run)."""
    return Run.objects.filter(pk=run_id).values_list("last_seq", flat=True).first() or 0


TRACE_FILTERS = ("outcome", "component", "min_duration_ms", "max_duration_ms", "after", "limit")


def traces_of(run: Run, *, outcome: str | None = None, component: str | None = None,
              min_duration_ms: float | None = None, max_duration_ms: float | None = None,
              after: int | None = None, limit: int = 100) -> list[Trace]:
    """A page of the run's traces in id order (keyset: ``after`` is the last id of the previous page),
    without their segments."""
    rows: QuerySet[Trace] = run.traces.defer("segments").order_by("id")
    if outcome:
        rows = rows.filter(outcome=outcome)
    if component:
        rows = rows.filter(components__contains=f" {component} ")
    if min_duration_ms is not None:
        rows = rows.filter(duration_ms__gte=min_duration_ms)
    if max_duration_ms is not None:
        rows = rows.filter(duration_ms__lte=max_duration_ms)
    if after is not None:
        rows = rows.filter(id__gt=after)
    return list(rows[:limit])


def trace_of(run: Run, trace_id: str) -> Trace:
    """Raises Trace.DoesNotExist when the run has no such trace (an id holding a NUL, which
    PostgreSQL cannot compare with, names none)."""
    if "\x00" in trace_id:
        raise Trace.DoesNotExist(f"no trace {trace_id!r}")
    return run.traces.get(trace_id=trace_id)


def segment_texts(run: Run) -> Iterator[str]:
    """Every stored trace's segments (a JSON array's text each), in id order, a chunk at a time."""
    yield from run.traces.order_by("id").values_list("segments", flat=True).iterator(chunk_size=500)
