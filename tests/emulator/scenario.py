"""Building and running small scenarios in tests: a topology, a workload, a traced run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import EPOCH, ListTracer, Segment, Subsegment
from emulator.workload import load_workload


@dataclass
class Run:
    sim: Simulation
    summary: dict[str, Any]
    segments: list[Segment]

    def named(self, name: str, origin: str | None = None) -> list[Segment]:
        return [s for s in self.segments if s.name == name and (origin is None or s.origin == origin)]

    def component(self, name: str) -> dict[str, Any]:
        metrics: dict[str, Any] = self.summary["components"][name]
        return metrics


def topology(components: list[dict[str, Any]], connections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"format": "wiretap.topology/1", "name": "test", "components": components,
            "connections": connections or []}


def run(topology_document: dict[str, Any], sources: list[dict[str, Any]], *, duration_s: float = 10,
        drain_s: float = 600, seed: int = 7, faults: list[dict[str, Any]] | None = None) -> Run:
    loaded = load_topology(topology_document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": seed, "duration_s": duration_s,
                              "drain_s": drain_s, "sources": sources, "faults": faults or []}, loaded)
    tracer = ListTracer()
    sim = Simulation(loaded, workload, tracer=tracer)
    summary = sim.run()
    return Run(sim, summary, tracer.segments)


def seconds(segment_time: float | None) -> float:
    """A segment time back in virtual seconds."""
    assert segment_time is not None
    return segment_time - EPOCH


def balanced(summary: dict[str, Any]) -> bool:
    m = summary["messages"]
    return bool(m["accepted"] == m["completed"] + m["dead_lettered"] + m["in_flight"] + m["lost"])


# Duplicates, counted from the traces by the ledger's definition (emulator/ledger.py) ----------------
CONSUMER_ORIGINS = frozenset({"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"})
HANDLED = frozenset({"ok", "batch_failed"})
# Stores whose segments hand on what they were sent: the delivery is the call that sent it in.
PASS_THROUGH_ORIGINS = frozenset({"AWS::SQS::Queue", "AWS::Kinesis::Stream"})


def _parts(segments: list[Segment]) -> Iterator[Segment | Subsegment]:
    def nested(part: Segment | Subsegment) -> Iterator[Segment | Subsegment]:
        yield part
        for child in part.subsegments or ():
            yield from nested(child)

    for segment in segments:
        yield from nested(segment)


def delivery_of(segment: Segment, parts: dict[str, Segment | Subsegment]) -> str | None:
    """The delivery a consumer's segment handled: its parent, back through a queue's stays or a
    stream's PutRecord to the call that sent the message in, and that call's ``repeats`` if any."""
    parent = segment.parent_id
    while parent is not None and isinstance(parts.get(parent), Segment) and \
            parts[parent].origin in PASS_THROUGH_ORIGINS:  # type: ignore[union-attr]
        parent = parts[parent].parent_id  # type: ignore[union-attr]
    call = parts.get(parent) if parent is not None else None
    repeats = (call.annotations or {}).get("repeats") if call is not None else None
    return str(repeats) if repeats is not None else parent


def duplicates_in_traces(segments: list[Segment]) -> int:
    """Each successful handling of a delivery by a consumer beyond the first, as the traces show it."""
    parts = {part.id: part for part in _parts(segments)}
    handled: Counter[tuple[Any, str, str | None]] = Counter()
    for segment in segments:
        if segment.origin in CONSUMER_ORIGINS and segment.annotations.get("outcome") in HANDLED:
            handled[(segment.annotations["message_id"], segment.name, delivery_of(segment, parts))] += 1
    return sum(count - 1 for count in handled.values())
