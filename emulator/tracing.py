"""X-Ray segment documents and the tracers the simulation reports them to.

A segment is one service hop of one message; subsegments are the calls it made. They
are msgspec Structs, not dicts: a run builds hundreds of thousands of them, and typed
objects encoded in batches are several times cheaper than dicts encoded one by one
(guide/performance.md). Field names are X-Ray's (AWS X-Ray segment document schema).
The simulation never writes a file or a socket itself: it hands finished segments to a
tracer, which keeps, streams or drops them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Protocol

import msgspec

# Virtual time 0 is this instant: 2026-01-01T00:00:00Z. Fixed so that output is identical
# on every machine and every day. Final: compiled modules inline the number instead of looking it up.
EPOCH: Final = 1767225600.0


# gc=False: a segment holds only JSON-shaped data and its own subsegments, never anything that
# points back at it, so it cannot be part of a cycle; untracked, the hundreds of thousands a run
# builds cost the cyclic garbage collector nothing.
class Subsegment(msgspec.Struct, omit_defaults=True, gc=False):
    """A call made during a segment (to another component, or a phase such as Initialization)."""

    id: str
    name: str
    start_time: float
    end_time: float | None = None
    in_progress: bool = False
    namespace: str | None = None
    error: bool = False
    throttle: bool = False
    fault: bool = False
    cause: dict[str, Any] | None = None
    http: dict[str, Any] | None = None
    aws: dict[str, Any] | None = None
    annotations: dict[str, str | int | float | bool] | None = None
    metadata: dict[str, Any] | None = None
    subsegments: list[Subsegment] | None = None


class Segment(msgspec.Struct, omit_defaults=True, gc=False):
    """One service hop of one message's trace."""

    trace_id: str
    id: str
    name: str
    origin: str
    start_time: float
    end_time: float | None = None
    in_progress: bool = False
    parent_id: str | None = None
    error: bool = False
    throttle: bool = False
    fault: bool = False
    cause: dict[str, Any] | None = None
    http: dict[str, Any] | None = None
    aws: dict[str, Any] | None = None
    annotations: dict[str, str | int | float | bool] = msgspec.field(default_factory=dict)
    metadata: dict[str, Any] | None = None
    subsegments: list[Subsegment] | None = None
    # Span links, as X-Ray's linked traces put them on a consumer's segment: the producer's
    # span this hop came from asynchronously (the trace id stays the same in Wiretap).
    links: list[dict[str, Any]] | None = None

    def add(self, subsegment: Subsegment) -> Subsegment:
        if self.subsegments is None:
            self.subsegments = [subsegment]
        else:
            self.subsegments.append(subsegment)
        return subsegment


ASYNC_LINK: Final = {"link.type": "async"}


def async_link(trace_id: str, producer_id: str) -> list[dict[str, Any]]:
    """The ``links`` of a segment that a message reached through a queue or an async invocation."""
    return [{"trace_id": trace_id, "id": producer_id, "attributes": ASYNC_LINK}]


def epoch(virtual_seconds: float) -> float:
    """Epoch seconds for a virtual time (not rounded: rounding every timestamp costs more than
    the digits it saves, and the sum is as deterministic as the virtual time)."""
    return EPOCH + virtual_seconds


def cause(error_type: str, message: str, exception_id: str, *, remote: bool = False) -> dict[str, Any]:
    """An X-Ray ``cause`` object with one exception."""
    exception: dict[str, Any] = {"id": exception_id, "type": error_type, "message": message}
    if remote:
        exception["remote"] = True
    return {"exceptions": [exception]}


class Tracer(Protocol):
    """Where finished segments go."""

    def emit(self, segment: Segment) -> None: ...

    def close(self) -> None: ...


class NullTracer:
    """Drops every segment (a run that only wants the summary)."""

    def emit(self, segment: Segment) -> None:
        pass

    def close(self) -> None:
        pass


class ListTracer:
    """Keeps every segment in memory, in the order they finished (tests, small runs)."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []

    def emit(self, segment: Segment) -> None:
        self.segments.append(segment)

    def close(self) -> None:
        pass

    def traces(self) -> dict[str, list[Segment]]:
        """Segments grouped by trace id, in emission order."""
        grouped: dict[str, list[Segment]] = {}
        for segment in self.segments:
            grouped.setdefault(segment.trace_id, []).append(segment)
        return grouped


class TeeTracer:
    """Sends every segment to several tracers."""

    def __init__(self, tracers: Iterable[Tracer]) -> None:
        self._tracers = tuple(tracers)

    def emit(self, segment: Segment) -> None:
        for tracer in self._tracers:
            tracer.emit(segment)

    def close(self) -> None:
        for tracer in self._tracers:
            tracer.close()


def to_dict(segment: Segment) -> dict[str, Any]:
    """The segment as plain JSON data (what the X-Ray API returns)."""
    result: dict[str, Any] = msgspec.to_builtins(segment)
    return result


# The batching tracers are compiled (their ``emit`` runs for every segment); this is their home.
from emulator.tracers import BatchTracer, JsonLinesWriter  # noqa: E402

__all__ = [
    "ASYNC_LINK", "EPOCH", "BatchTracer", "JsonLinesWriter", "ListTracer", "NullTracer", "Segment", "Subsegment",
    "TeeTracer", "Tracer", "async_link", "cause", "epoch", "to_dict",
]
