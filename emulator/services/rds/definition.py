"""The rds kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.services.rds.database import Database

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
              maximum=60_000, unit="ms"),
        Field("hourly_usd", "number", 0.065, "The instance's price per hour (db.t4g.medium PostgreSQL, "
              "single-AZ, us-east-1).", minimum=0, maximum=10_000, unit="USD/h"),
    ),
)
