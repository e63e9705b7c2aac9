"""The limits of a run, so that one run cannot take the machine down (README "Limits").

At start (``start_problems``): the workload's expected messages, its peak rate, its virtual
time (duration + drain) and the size of its messages, measured by ``emulator.volume``; each
refusal points at the workload field to change and names the limit and the setting that raises
it. While running (``Budget``):
stored traces, replay-log events, bytes stored (below the limit per run and what the owner's
quota leaves) and, as a guard, messages accepted; a run that reaches one stops, keeps what it
produced and says which limit it reached (``Run.limit``, ``run.finished``'s ``limit`` and
``error``). Execution looks between slices, so a run overshoots a limit by at most a slice and a
tenth of a second of work, plus the rows of the messages still in flight when it closes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum

from designer.services import MB, QuotaExceeded
from emulator.problems import Problem
from emulator.volume import measure
from emulator.workload import Workload
from tracer.models import Limit, Run

RAISED_BY = "whoever runs the console can raise it"


def start_problems(workload: Workload, where: str = "/workload") -> list[Problem]:
    """Why the workload would take a run past its limits (an empty list when it fits)."""
    volume = measure(workload)
    problems = []
    if volume.peak_per_second > settings.WIRETAP_MAX_RATE:
        together = (f" (every source together, from {volume.peak_at_s:g} s)" if len(volume.peak_spans) > 1
                    else f" from {volume.peak_at_s:g} s")
        problems.append(Problem(where + volume.peak_pointer, (
            f"the workload would send {volume.peak_per_second:,.0f} messages a second{together}; a run may "
            f"send at most {settings.WIRETAP_MAX_RATE:,} a second (WIRETAP_MAX_RATE; {RAISED_BY})")))
    if volume.messages > settings.WIRETAP_MAX_MESSAGES:
        problems.append(Problem(where + volume.messages_pointer, (
            f"the workload would send about {volume.messages:,.0f} messages; a run may send at most "
            f"{settings.WIRETAP_MAX_MESSAGES:,} (WIRETAP_MAX_MESSAGES; {RAISED_BY}): lower the rate or the "
            "duration, or set a count")))
    if volume.message_bytes > settings.WIRETAP_MAX_MESSAGE_KB * 1_000:
        problems.append(Problem(where + volume.message_pointer, (
            f"a message of this source is {volume.message_bytes / 1_000:,.1f} KB of JSON (payload and "
            f"attributes), which every segment showing it carries; a run's messages may be at most "
            f"{settings.WIRETAP_MAX_MESSAGE_KB:,} KB (WIRETAP_MAX_MESSAGE_KB; {RAISED_BY})")))
    if volume.virtual_s > settings.WIRETAP_MAX_VIRTUAL_S:
        field = "duration_s" if workload.duration_s > settings.WIRETAP_MAX_VIRTUAL_S else "drain_s"
        default = "" if "drain_s" in workload.document else f" (drain_s is {workload.drain_s:g} when not given)"
        problems.append(Problem(f"{where}/{field}", (
            f"duration_s + drain_s is {volume.virtual_s:,.0f} virtual seconds{default}; a run may last at most "
            f"{settings.WIRETAP_MAX_VIRTUAL_S:,} (WIRETAP_MAX_VIRTUAL_S; {RAISED_BY})")))
    return problems


def check_runs_quota(owner_id: int, snapshot: int) -> None:
    """Raises QuotaExceeded when the owner's runs leave no room for a new one (its ``snapshot``
    bytes and then some: a run stops at the quota while running)."""
    limit = settings.WIRETAP_QUOTA_RUNS_MB * MB
    used = runs_bytes(owner_id)
    if used + snapshot >= limit:
        raise QuotaExceeded("runs", "WIRETAP_QUOTA_RUNS_MB", used, limit, (
            f"your runs store {used / MB:,.1f} MB, all of your quota of {settings.WIRETAP_QUOTA_RUNS_MB:,} MB "
            "(WIRETAP_QUOTA_RUNS_MB); nothing was started: delete runs (DELETE /api/runs/<id>/) or topologies "
            "you no longer need to make room"))


def snapshot_bytes(document: object, workload: object) -> int:
    """What a run's copy of its topology and workload stores."""
    return len(json.dumps(document)) + len(json.dumps(workload))


# While running ---------------------------------------------------------------------------------

Reached = tuple[str, str]  # (the Limit, a sentence for the run's error)
KEPT = "what ran is kept"


def runs_bytes(owner_id: int, excluding: int | None = None) -> int:
    """What the owner's runs store (Run.stored_bytes), without run ``excluding``."""
    runs = Run.objects.filter(owner_id=owner_id)
    if excluding is not None:
        runs = runs.exclude(pk=excluding)
    total: int | None = runs.aggregate(total=Sum("stored_bytes"))["total"]
    return total or 0


@dataclass(frozen=True)
class Budget:
    """What one running run may still take; ``reached`` says when it has taken it."""

    messages: int  # accepted, past which the guard stops the run
    stored_traces: int
    events: int
    stored_bytes: int
    quota_binds: bool  # stored_bytes is what the owner's quota leaves, below the limit per run

    @classmethod
    def of(cls, run: Run) -> Budget:
        """The settings' limits, and the room the owner's other runs leave under their quota (runs
        that start side by side each see the room left when they started)."""
        per_run = settings.WIRETAP_MAX_RUN_MB * MB
        left = settings.WIRETAP_QUOTA_RUNS_MB * MB - runs_bytes(run.owner_id, excluding=run.pk)
        # Poisson arrivals vary around the expected count, and EventBridge replays add messages:
        # the guard leaves them room, and stops what goes far past what was accepted at start.
        guard = settings.WIRETAP_MAX_MESSAGES + max(settings.WIRETAP_MAX_MESSAGES // 10, 100)
        return cls(guard, settings.WIRETAP_MAX_STORED_TRACES, settings.WIRETAP_MAX_RUN_EVENTS,
                   min(per_run, left), left < per_run)

    def reached(self, *, accepted: int, stored_traces: int, events: int, stored_bytes: int) -> Reached | None:
        if accepted > self.messages:
            return Limit.MESSAGES, (f"stopped at a limit: the run accepted {accepted:,} messages, past the "
                                    f"{settings.WIRETAP_MAX_MESSAGES:,} a run may send (WIRETAP_MAX_MESSAGES); {KEPT}")
        if stored_traces >= self.stored_traces:
            return Limit.STORED_TRACES, (f"stopped at a limit: the run stored {stored_traces:,} traces, the most a "
                                         f"run may (WIRETAP_MAX_STORED_TRACES); {KEPT}")
        if events >= self.events:
            return Limit.EVENTS, (f"stopped at a limit: the run's replay log holds {events:,} events, the most a run "
                                  f"may (WIRETAP_MAX_RUN_EVENTS); {KEPT}")
        if stored_bytes >= self.stored_bytes:
            if self.quota_binds:
                return Limit.QUOTA, (f"stopped at your quota: your runs store {settings.WIRETAP_QUOTA_RUNS_MB:,} MB, "
                                     "all your quota allows (WIRETAP_QUOTA_RUNS_MB); delete runs you no longer need "
                                     f"to make room; {KEPT}")
            return Limit.BYTES, (f"stopped at a limit: the run stores {stored_bytes / MB:,.0f} MB with what its "
                                 f"messages in flight will store, the most a run may (WIRETAP_MAX_RUN_MB); {KEPT}")
        return None
