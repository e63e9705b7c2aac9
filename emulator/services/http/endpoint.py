"""A third-party HTTP API at run time (the rules it follows are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.services.base import Call, Component, Link, Reply, service_unavailable

SERVER_ERROR = Reply(500, "InternalServerError", "the API answered 500")
TOO_MANY_REQUESTS = Reply(429, "TooManyRequests", "the API answered 429 (rate limited)")


class HttpApi(Component):
    # A plain HTTP client: no AWS SDK retries.
    retried_by_sdk = False

    def connect(self) -> None:
        behavior = self.behavior
        self.latency = Duration.from_spec(behavior["latency_ms"])
        self.error_rate = float(behavior["error_rate"])
        self.timeout_s = float(behavior["timeout_ms"]) / 1000.0
        self.method = str(behavior["method"])
        self.requests = self.errors_4xx = self.errors_5xx = self.timeouts = 0
        self.latencies = Latencies()

    def operation(self, link: Link | None) -> str:
        return self.method

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.requests += 1
        faults = self.faults
        latency_s = self.latency.sample(self.rng) / 1000.0
        error_rate = self.error_rate
        if faults:
            if faults.unavailable(now):
                # An outage: the connection is refused at once.
                self._answer(call_, service_unavailable(self.id), 0.001)
                return
            if faults.throttled(now):
                self._answer(call_, TOO_MANY_REQUESTS, latency_s)
                return
            latency_s += faults.extra_ms(now) / 1000.0
            error_rate = faults.error_rate(now, error_rate)
        reply = SERVER_ERROR if error_rate > 0 and self.rng.random() < error_rate else Reply(200)
        if self.timeout_s > 0 and latency_s > self.timeout_s:
            # The caller's client gives up; the API's late answer reaches no one.
            self.timeouts += 1
            self._answer(call_, Reply(504, "ClientTimeout", f"no answer from {self.id} within "
                                      f"{self.timeout_s * 1000:g} ms"), self.timeout_s)
            return
        self._answer(call_, reply, latency_s)

    def _answer(self, call_: Call, reply: Reply, after_s: float) -> None:
        if 400 <= reply.status < 500:
            self.errors_4xx += 1
        elif reply.status >= 500:
            self.errors_5xx += 1
        self.latencies.add(after_s * 1000.0)
        self.kernel.schedule(after_s, call_.reply, reply)

    def metrics(self) -> dict[str, Any]:
        return {
            "Requests": self.requests,
            "4XXError": self.errors_4xx,
            "5XXError": self.errors_5xx,
            "Timeouts": self.timeouts,
            "Latency": self.latencies.percentiles(),
        }

    def activity(self) -> tuple[int, int, int]:
        return (self.requests, self.errors_5xx, 0)
