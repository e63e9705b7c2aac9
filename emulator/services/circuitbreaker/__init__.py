"""A circuit breaker: the state callers share in front of a flaky dependency.

The pattern of Michael Nygard's "Release It!" as the serverless pattern collections draw it
("Circuit Breaker", cdk-patterns; AWS Prescriptive Guidance, "Circuit breaker pattern"): callers
keep one breaker state in a store (a DynamoDB item, a cache key), read it before each call
(``state_ms``), and update it with what happened. Closed: calls go through, and
``failure_threshold`` consecutive failures (a 5xx, a 429, a timeout, a refused connection: any
answer that is not a success) open it. Open: every call fails fast with 503 CircuitOpen, without
reaching the dependency, for ``open_s``. Half-open: the first ``half_open_probes`` calls go
through as probes while the others still fail fast; when all probes succeed the circuit closes,
when one fails it opens again for another ``open_s``.

In a topology the breaker sits between the callers and what it protects: ``caller -request->
breaker -request-> dependency`` (the first of its request connections whose ``when`` matches).
Each call is a segment of the breaker annotated with the state it found (``breaker``) and, for a
probe, ``probe``; its metrics count permitted and rejected calls, the times it opened and every
transition.

Driven by events (the "EventBridge circuit breaker" of the serverless pattern collections): a breaker
with no request connection of its own is a state check only: open, it fails the check fast; closed
or probing, it answers 200 and the caller calls the dependency itself. The outcomes then arrive as
events through EventBridge ``rule`` connections to the breaker: an event whose ``detail-type`` is
"Lambda Function Invocation Result - Success" (a Lambda destination's success record) counts as a
success, any other as a failure, with the same threshold and probes. Such report segments are
annotated ``reported``.
"""

from emulator.services.circuitbreaker.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from emulator.services.circuitbreaker.definition import KIND

__all__ = ["CLOSED", "HALF_OPEN", "KIND", "OPEN", "CircuitBreaker"]
