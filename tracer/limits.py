"""The limits of a run, so that one run cannot take the machine down (README "Limits").

At start (``start_problems``): the workload's expected messages, its peak rate and its virtual
time (duration + drain), measured by ``emulator.volume``; each refusal points at the workload
field to change and names the limit and the setting that raises it. While running (``Budget``):
stored traces, replay-log events, bytes written and, as a guard, messages accepted; a run that
reaches one stops, keeps what it produced and says which limit it reached.
"""

from __future__ import annotations

from django.conf import settings

from emulator.problems import Problem
from emulator.volume import measure
from emulator.workload import Workload

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
    if volume.virtual_s > settings.WIRETAP_MAX_VIRTUAL_S:
        field = "duration_s" if workload.duration_s > settings.WIRETAP_MAX_VIRTUAL_S else "drain_s"
        default = "" if "drain_s" in workload.document else f" (drain_s is {workload.drain_s:g} when not given)"
        problems.append(Problem(f"{where}/{field}", (
            f"duration_s + drain_s is {volume.virtual_s:,.0f} virtual seconds{default}; a run may last at most "
            f"{settings.WIRETAP_MAX_VIRTUAL_S:,} (WIRETAP_MAX_VIRTUAL_S; {RAISED_BY})")))
    return problems
