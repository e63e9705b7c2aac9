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

from emulator.services.rds.database import Database
from emulator.services.rds.definition import KIND

__all__ = ["KIND", "Database"]
