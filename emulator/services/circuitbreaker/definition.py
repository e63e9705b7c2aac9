"""The circuitbreaker kind: its behavior keys."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.services.circuitbreaker.breaker import CircuitBreaker

KIND = Kind(
    name="circuitbreaker",
    title="Circuit breaker",
    cloudformation_type=None,
    description="The breaker state callers share (kept in a table or a cache): closed, open after N consecutive "
                "failures (calls fail fast), half-open probes after a while, closed again when they succeed.",
    runtime=CircuitBreaker,
    origin="Wiretap::CircuitBreaker",
    behavior=(
        Field("failure_threshold", "integer", 5, "Consecutive failures of the protected call that open the "
              "circuit.", minimum=1, maximum=1000),
        Field("open_s", "number", 30, "How long the circuit stays open (every call fails fast) before it lets "
              "probes through.", minimum=0.001, maximum=86_400, unit="seconds"),
        Field("half_open_probes", "integer", 1, "Calls let through while half-open; if they all succeed the "
              "circuit closes, if one fails it opens again. Other calls fail fast meanwhile.",
              minimum=1, maximum=100),
        Field("state_ms", "duration", 2, "Reading the shared state before each call (a DynamoDB or ElastiCache "
              "read)."),
    ),
)
