"""A third-party HTTP API: latency, errors, outages and the callers' timeout.

An API outside AWS is not traced by X-Ray: it has no segment of its own, and a call to it is the
caller's subsegment in the ``remote`` namespace (X-Ray developer guide, "Tracing calls to
downstream HTTP web services"), flagged as a fault (5xx), an error (4xx) or a throttle (429).
Callers are plain HTTP clients: nothing retries on its own (the SNS HTTP/S delivery policy is the
topic's). Faults: ``unavailable`` refuses connections at once (503), ``throttle`` answers 429 past
the rate, ``slow`` adds latency (past ``timeout_ms`` the caller gives up with 504 ClientTimeout),
``error_rate`` replaces the API's own ``error_rate``.
"""

from emulator.services.http.definition import KIND
from emulator.services.http.endpoint import HttpApi

__all__ = ["KIND", "HttpApi"]
