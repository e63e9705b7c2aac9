"""Amazon RDS database instances: a connection limit, query latency, and slowdown under load.

The model behind the "Lambda exhausts the database's connections" lesson: a function opens a
connection the first time an execution environment queries (``connect_ms``) and keeps it open
while the environment lives (reused by later invocations, as connection code outside the handler
does), so the database sees one connection per concurrent environment. Past ``max_connections``
a new connection is refused (PostgreSQL: "sorry, too many clients already"). Queries slow down as
the connections approach the limit (CPU and memory contention): ``query_ms`` x (1 + 3 u^2) with
u the share of connections in use. Callers without an environment (API Gateway) open a
connection for each query. Database drivers do not retry like the AWS SDKs.
"""

from __future__ import annotations

from typing import Any

from emulator.definitions import Field, Kind
from emulator.distributions import Duration
from emulator.services.base import Call, Component, Link, Reply, service_unavailable


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
        self.latencies: list[float] = []

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
        if self.faults and self.faults.unavailable(now):
            self.kernel.schedule(0.001, call_.reply, service_unavailable(self.id))
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
        self.latencies.append(total_s * 1000.0)
        failed = self.faults is not None and self.rng.random() < self.faults.error_rate(now, 0.0)
        reply = Reply(500, "QueryFailed", "query failed (injected fault)") if failed else Reply(200)
        self.kernel.schedule(total_s, self._answer, call_, reply)

    def _answer(self, call_: Call, reply: Reply) -> None:
        if call_.holder is None:
            self.transient -= 1
        call_.reply(reply)

    def metrics(self) -> dict[str, Any]:
        from emulator.simulation import percentiles

        return {
            "DatabaseConnections": self.peak_connections,
            "ConnectionsRefused": self.refused,
            "Queries": self.queries,
            "QueryLatency": percentiles(self.latencies),
        }

    def gauges(self) -> dict[str, float]:
        return {"connections": self.open_connections(self.kernel.now)}

    def cost_usd(self) -> float:
        return self.kernel.now / 3600.0 * self.hourly_usd


KIND = Kind(
    name="rds",
    title="RDS database",
    cloudformation_type="AWS::RDS::DBInstance",
    description="A relational database: a connection limit, query latency that grows with load.",
    runtime=Database,
    origin="AWS::RDS::DBInstance",
    behavior=(
        Field("max_connections", "integer", 100, "Connections the instance accepts (PostgreSQL max_connections;"
              " on RDS it follows the instance's memory).", minimum=1, maximum=100000),
        Field("query_ms", "duration", {"median": 8, "p99": 40}, "How long a query takes on an idle database."),
        Field("connect_ms", "number", 25, "Opening a connection (TCP, TLS, authentication).", minimum=0,
              unit="ms"),
        Field("hourly_usd", "number", 0.065, "The instance's price per hour (db.t4g.medium PostgreSQL, "
              "single-AZ, us-east-1).", minimum=0, unit="USD/h"),
    ),
)
