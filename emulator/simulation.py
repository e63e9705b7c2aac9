"""A run: a topology under a workload in virtual time, from one seed, to traces and a summary.

    sim = Simulation(topology, workload, tracer=ListTracer())
    summary = sim.run()

Same topology + workload + seed gives byte-identical traces and summary: every random
draw comes from a generator seeded by the run's seed and the name of whoever draws
(so changing one component does not shift another's draws), and the kernel breaks
ties in scheduling order.

A run ends at its deadline (duration + drain) while any accepted message is in flight, or earlier,
at its last event, once every accepted message is settled and nothing is scheduled before the
deadline (``over``); ``Simulation.run`` and the live wrapper both follow that rule.
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
            self.advance(self.deadline)
        else:
            step = self.deadline / slices
            for index in range(1, slices + 1):
                self.advance(step * index if index < slices else self.deadline)
                progress(self.kernel.now, self.deadline)
                if self.over():
                    break
        return self.finish()

    # The end rule: a run ends at the deadline (duration + drain) while any accepted message is still
    # in flight, so every timer that decides a message's fate plays out within it; it ends earlier,
    # at its last event, only once every accepted message is settled and nothing is scheduled before
    # the deadline (what is due after it can never run in this run).
    def settled(self) -> bool:
        """Every accepted message is settled and nothing is scheduled before the deadline."""
        if self.ledger.in_flight:
            return False
        next_time = self.kernel.next_time
        return next_time is None or next_time > self.deadline

    def over(self) -> bool:
        """The run has ended by the end rule."""
        return self.kernel.now >= self.deadline or self.settled()

    def next_stop(self) -> float:
        """When something can next happen: the next event, or the deadline when nothing is
        scheduled before it (the clock may jump there)."""
        next_time = self.kernel.next_time
        return self.deadline if next_time is None or next_time > self.deadline else next_time

    def advance(self, until: float, max_events: int | None = None) -> bool:
        """Run what is due by ``until`` (never past the deadline). The clock ends at ``until``,
        unless the run is over before it by the end rule: then it stays at the last event.

        With ``max_events``, a slice of bounded work: False when the budget ran out first (the clock
        at the last event run, what else is due by ``until`` still waiting), else True."""
        until = min(until, self.deadline)
        kernel = self.kernel
        if not kernel.run(until=until, advance_clock=False, max_events=max_events):
            return False
        if kernel.now < until and not self.settled():
            kernel.run(until=until)  # nothing is due before ``until``: the clock moves on to it
        return True

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
        runner.unanswered += 1
        target.request(Call(message, None, None, partial(self._answered, runner, message), target.operation(None)))

    def _answered(self, runner: SourceRunner, message: Message, reply: Reply) -> None:
        """The entry point answered the outside caller: a refusal makes the message rejected."""
        runner.unanswered -= 1
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
            "in_flight_at_end": {"copies": self.ledger.copies, "by_component": self.in_flight_places()},
            "latency_ms": self.ledger.latencies.percentiles((50, 90, 99), with_max=True),
            "components": components,
            "cost_usd": {
                "total": round(sum(costs.values()), 8),
                "by_component": {cid: cost for cid, cost in costs.items() if cost > 0},
            },
        }

    def in_flight_places(self) -> dict[str, dict[str, int]]:
        """Where the copies still held are, by component and state (components holding none left
        out): each component's own account, and the workload's requests not yet answered, at the
        component they were sent to ("answering")."""
        places = {cid: component.in_flight() for cid, component in self.components.items()}
        for runner in self._runners:
            if runner.unanswered:
                states = places[runner.source.target]
                states["answering"] = states.get("answering", 0) + runner.unanswered
        return {cid: states for cid, states in places.items() if states}
