"""How much a workload asks for before it runs: its messages, its peak rate, its virtual time, the
size of its messages.

A console refuses a run past its limits from these figures (tracer/limits.py). Each figure names
the field of the workload document it comes from (a JSON pointer), so that a refusal can point
at what to change. The rates are the ones ``sources.SourceRunner`` follows: a source's rate from
its ``start_s``, then each ramp step after it, until the arrivals end at ``duration_s`` (or the
source's ``count`` is reached). Poisson arrivals send the same number on average.

A message's size is its template's JSON text (payload and attributes): what every segment that
shows the message carries. Generators expand to about their own length ($seq, $message_id,
$uniform) or a little more ($timestamp: 30 characters), or to one of their choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from emulator.workload import Source, Workload


@dataclass(frozen=True)
class Span:
    """One rate in force: ``per_second`` from ``from_s`` until ``until_s``, set at ``pointer``."""

    source: int
    pointer: str
    per_second: float
    from_s: float
    until_s: float

    @property
    def messages(self) -> float:
        return self.per_second * (self.until_s - self.from_s)


@dataclass(frozen=True)
class Volume:
    messages: float  # expected, over every source
    messages_pointer: str  # the field behind most of them
    peak_per_second: float  # every source together, at the busiest moment
    peak_at_s: float
    peak_spans: tuple[Span, ...]  # the rates in force then, largest first
    virtual_s: float  # duration + drain: how far the clock may go
    message_bytes: int  # the largest source's message template
    message_pointer: str

    @property
    def peak_pointer(self) -> str:
        return self.peak_spans[0].pointer if self.peak_spans else "/sources"


def spans(source: Source, end_s: float) -> list[Span]:
    """The source's rates in force before ``end_s``, in time order."""
    where = f"/sources/{source.index}"
    steps = [(source.start_s, source.per_second, f"{where}/rate/per_second")] + [
        (step.at_s, step.per_second, f"{where}/ramp/{index}/per_second")
        for index, step in enumerate(source.ramp) if step.at_s > source.start_s
    ]
    found = []
    for position, (at, per_second, pointer) in enumerate(steps):
        until = min(steps[position + 1][0], end_s) if position + 1 < len(steps) else end_s
        if at < until and per_second > 0:
            found.append(Span(source.index, pointer, per_second, at, until))
    return found


def measure(workload: Workload) -> Volume:
    every: list[Span] = []
    messages = 0.0
    largest = (0.0, "/sources")
    for source in workload.sources:
        own = spans(source, workload.duration_s)
        every.extend(own)
        sent = sum(span.messages for span in own)
        if source.count is not None and source.count < sent:
            sent = float(source.count)
            largest = max(largest, (sent, f"/sources/{source.index}/count"))
        else:
            largest = max([largest, *((span.messages, span.pointer) for span in own)])
        messages += sent
    peak, peak_at, in_force = 0.0, 0.0, tuple[Span, ...]()
    for moment in sorted({span.from_s for span in every}):
        now = tuple(sorted((span for span in every if span.from_s <= moment < span.until_s),
                           key=lambda span: -span.per_second))
        total = sum(span.per_second for span in now)
        if total > peak:
            peak, peak_at, in_force = total, moment, now
    sizes = [(message_size(source), f"/sources/{source.index}/payload") for source in workload.sources]
    message_bytes, message_pointer = max(sizes, default=(0, "/sources"))
    return Volume(messages, largest[1], peak, peak_at, in_force, workload.duration_s + workload.drain_s,
                  message_bytes, message_pointer)


def message_size(source: Source) -> int:
    """The JSON text of the source's message template: payload and attributes."""
    return len(json.dumps(source.payload)) + (len(json.dumps(source.attributes)) if source.attributes else 0)
