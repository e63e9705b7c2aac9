"""Building and running small scenarios in tests: a topology, a workload, a traced run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import EPOCH, ListTracer, Segment
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
