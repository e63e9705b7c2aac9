"""An RDS database instance at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.services.base import Call, Component, Link, Reply


class Database(Component):
    retried_by_sdk = False

    def connect(self) -> None:
        self.max_connections = int(self.behavior["max_connections"])
        self.query = Duration.from_spec(self.behavior["query_ms"])
        self.connect_s = float(self.behavior["connect_ms"]) / 1000.0
        self.hourly_usd = float(self.behavior["hourly_usd"])
        self.connections: dict[Any, None] = {}
        self.transient = 0
        self.peak_connections = 0
        self.refused = 0
        self.queries = 0
        self.latencies = Latencies()

    def operation(self, link: Link | None) -> str:
        return "Query"

    def open_connections(self, now: float) -> int:
        return len(self.connections) + self.transient

    def _purge(self, now: float) -> None:
        """Connections of environments Lambda has reclaimed are closed."""
        for holder in [h for h in self.connections if not h.alive(now)]:
            del self.connections[holder]

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        if self.refused_by_outage(call_, now):
            return
        holder = call_.holder
        setup = 0.0
        if holder is None or holder not in self.connections:
            self._purge(now)
            if self.open_connections(now) >= self.max_connections:
                self.refused += 1
                self.kernel.schedule(0.002, call_.reply, Reply(
                    500, "TooManyConnections", f"{self.id}: sorry, too many clients already "
                    f"({self.max_connections} connections)"))
                return
            setup = self.connect_s
            if holder is None:
                self.transient += 1
            else:
                self.connections[holder] = None
        self.peak_connections = max(self.peak_connections, self.open_connections(now))
        utilization = self.open_connections(now) / self.max_connections
        query_ms = self.query.sample(self.rng) * (1.0 + 3.0 * utilization * utilization)
        if self.faults:
            query_ms += self.faults.extra_ms(now)
        self.queries += 1
        total_s = setup + query_ms / 1000.0
        self.latencies.add(total_s * 1000.0)
        failed = self.faults is not None and self.rng.random() < self.faults.error_rate(now, 0.0)
        reply = Reply(500, "QueryFailed", "query failed (injected fault)") if failed else Reply(200)
        self.kernel.schedule(total_s, self._answer, call_, reply)

    def _answer(self, call_: Call, reply: Reply) -> None:
        if call_.holder is None:
            self.transient -= 1
        call_.reply(reply)

    def metrics(self) -> dict[str, Any]:

        return {
            "DatabaseConnections": self.peak_connections,
            "ConnectionsRefused": self.refused,
            "Queries": self.queries,
            "QueryLatency": self.latencies.percentiles(),
        }

    def gauges(self) -> dict[str, float]:
        return {"connections": self.open_connections(self.kernel.now)}

    def activity(self) -> tuple[int, int, int]:
        return (self.queries, self.refused, 0)

    def cost_usd(self) -> float:
        return self.kernel.now / 3600.0 * self.hourly_usd
