"""A run: a topology under a workload in virtual time, from one seed, to traces and a summary.

    sim = Simulation(topology, workload, tracer=ListTracer())
    summary = sim.run()

Same topology + workload + seed gives byte-identical traces and summary: every random
draw comes from a generator seeded by the run's seed and the name of whoever draws
(so changing one component does not shift another's draws), and the kernel breaks
ties in scheduling order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Any

from emulator.catalog import KINDS
from emulator.faults import ComponentFaults, FaultWindow
from emulator.ids import Ids
from emulator.kernel import Kernel
from emulator.ledger import Ledger
from emulator.messages import Message
from emulator.services.base import Call, Component, Link, Reply
from emulator.sources import SourceRunner
from emulator.topology import Topology
from emulator.tracing import NullTracer, Tracer
from emulator.workload import Workload

SUMMARY_FORMAT = "wiretap.summary/1"
Progress = Callable[[float, float], None]


class Simulation:
    def __init__(self, topology: Topology, workload: Workload, *, seed: int | None = None,
                 tracer: Tracer | None = None) -> None:
        self.topology = topology
        self.workload = workload
        self.seed = workload.seed if seed is None else seed
        self.kernel = Kernel()
        self.ids = Ids(self.seed)
        self.tracer: Tracer = tracer if tracer is not None else NullTracer()
        self.ledger = Ledger()
        self.shared: dict[str, Any] = {}
        self._faults: dict[str, list[FaultWindow]] = {}
        for fault in workload.faults:
            self._faults.setdefault(fault.component, []).append(fault.window)
        self.components: dict[str, Component] = {
            spec.id: KINDS[spec.kind].runtime(self, spec, KINDS[spec.kind]) for spec in topology.components.values()
        }
        for connection in topology.connections:
            link = Link(self.components[connection.source], self.components[connection.target], connection)
            link.source.outgoing.append(link)
            link.target.incoming.append(link)
        for component in self.components.values():
            component.connect()
        self.end_of_arrivals = workload.duration_s
        self.deadline = workload.duration_s + workload.drain_s
        self._runners: list[SourceRunner] = []
        self._message_count = 0
        self._finished = False
        # How deep answers to synchronous calls are nested now (services/base.py, MAX_NESTED_REPLIES).
        self.nested_replies = 0

    # Services the components draw on ----------------------------------------------------
    def random_for(self, name: str) -> random.Random:
        """A generator of this run's own, for one named party (a component, a source)."""
        return random.Random(f"{self.seed}:{name}")

    def faults_for(self, component_id: str) -> ComponentFaults | None:
        """The component's planned faults, or None (the common case, checked on every request)."""
        windows = self._faults.get(component_id)
        return ComponentFaults(windows) if windows else None

    def shared_state(self, key: str, factory: Callable[[], Any]) -> Any:
        """State shared by every component of a kind (the account's Lambda concurrency pool...)."""
        if key not in self.shared:
            self.shared[key] = factory()
        return self.shared[key]

    # Running -----------------------------------------------------------------------------
    def run(self, progress: Progress | None = None, slices: int = 100) -> dict[str, Any]:
        """Run to the end (arrivals, then the drain) and return the summary."""
        self.start()
        if progress is None:
            self.kernel.run(until=self.deadline, advance_clock=False)
        else:
            step = self.deadline / slices
            for index in range(1, slices + 1):
                self.kernel.run(until=step * index if index < slices else self.deadline, advance_clock=False)
                progress(self.kernel.now, self.deadline)
                if self.kernel.next_time is None or self.kernel.now >= self.deadline:
                    break
        return self.finish()

    def start(self) -> None:
        for component in self.components.values():
            component.start()
        for source in self.workload.sources:
            runner = SourceRunner(source, self.kernel, self.random_for(f"source{source.index}"),
                                  self.end_of_arrivals, self._arrive)
            self._runners.append(runner)
        for runner in self._runners:
            runner.start()

    def finish(self) -> dict[str, Any]:
        """End the run: components report what is still in progress; returns the summary."""
        if not self._finished:
            self._finished = True
            for component in self.components.values():
                component.finish()
            self.tracer.close()
        return self.summary()

    def _arrive(self, runner: SourceRunner, sequence: int) -> None:
        source = runner.source
        now = self.kernel.now
        rng = runner.rng
        self._message_count += 1
        message_id = "msg-" + str(self._message_count).zfill(6)  # as f"{:06d}", at half the cost
        payload = runner.payload(rng, sequence, message_id, now)
        attributes = runner.attributes(rng, sequence, message_id, now)
        group_id = None if runner.group_id is None else runner.group_id(rng, sequence, message_id, now)
        deduplication_id = (None if runner.deduplication_id is None
                            else runner.deduplication_id(rng, sequence, message_id, now))
        poison = source.poison_rate > 0 and rng.random() < source.poison_rate
        trace_id = self.ids.trace_id(now)
        record = self.ledger.accept(message_id, trace_id, now)
        message = Message(message_id, trace_id, payload, record, attributes=attributes,
                          group_id=None if group_id is None else str(group_id),
                          deduplication_id=None if deduplication_id is None else str(deduplication_id),
                          poison=poison, sent_at=now)
        target = self.components[source.target]
        target.request(Call(message, None, None, partial(self._answered, message), target.operation(None)))

    def _answered(self, message: Message, reply: Reply) -> None:
        """The entry point answered the outside caller: a refusal makes the message rejected."""
        record = message.record
        if not reply.ok:
            self.ledger.reject(record)
        self.ledger.release(record, 0, self.kernel.now)

    # Reporting ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        components = {cid: component.metrics() for cid, component in self.components.items()}
        costs = {cid: round(component.cost_usd(), 8) for cid, component in self.components.items()}
        return {
            "format": SUMMARY_FORMAT,
            "seed": self.seed,
            "virtual_seconds": round(self.kernel.now, 3),
            "messages": self.ledger.counts(),
            "latency_ms": self.ledger.latencies.percentiles((50, 90, 99), with_max=True),
            "components": components,
            "cost_usd": {
                "total": round(sum(costs.values()), 8),
                "by_component": {cid: cost for cid, cost in costs.items() if cost > 0},
            },
        }
