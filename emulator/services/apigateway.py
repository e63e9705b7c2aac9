"""Amazon API Gateway (REST API): throttling, routing, integration timeout, error mapping.

Rules (API Gateway developer guide: "Throttle requests", "Amazon API Gateway quotas",
"Handle Lambda errors"): a token bucket of ``ThrottlingRateLimit`` tokens per second holding
at most ``ThrottlingBurstLimit`` answers 429 before the integration runs; the integration
times out after ``TimeoutInMillis`` (29 s) with 504; a throttled Lambda becomes 500, a
function error 502. API Gateway never retries. Routes: the first ``request`` connection
whose ``when`` pattern matches the payload takes the request; none matching answers 403
Missing Authentication Token, as API Gateway does for an unknown route.
"""

from __future__ import annotations

from typing import Any

from emulator.definitions import Field, Kind
from emulator.distributions import Duration
from emulator.pricing import APIGATEWAY_PER_REQUEST
from emulator.services.base import Call, Component, Reply, call, mark, service_unavailable
from emulator.tracing import Segment, epoch


class ApiGateway(Component):
    def connect(self) -> None:
        self.rate = float(self.properties["ThrottlingRateLimit"])
        self.burst = float(self.properties["ThrottlingBurstLimit"])
        self.timeout_s = self.properties["TimeoutInMillis"] / 1000.0
        self.overhead = Duration.from_spec(self.behavior["overhead_ms"])
        self._tokens = self.burst
        self._refilled_at = 0.0
        self.count = self.errors_4xx = self.errors_5xx = 0
        self.latencies: list[float] = []
        self.integration_latencies: list[float] = []
        self.routes = self.links("request")

    def operation(self, link: Any) -> str:
        return "POST"

    def _take_token(self, now: float) -> bool:
        tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self.rate)
        self._refilled_at = now
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.count += 1
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, now)
        segment.http = {"request": {"method": "POST", "url": f"https://{self.id.lower()}.execute-api.us-east-1"
                                                               f".amazonaws.com/prod/"}}
        segment.aws = {"api_id": self.id.lower(), "stage": "prod"}
        segment.annotations["attempt"] = 1
        if self.faults and self.faults.unavailable(now):
            self._answer(call_, segment, now, service_unavailable(self.id))
            return
        if not self._take_token(now) or (self.faults and self.faults.throttled(now)):
            self._answer(call_, segment, now, Reply(429, "TooManyRequestsException", "Too Many Requests"))
            return
        route = next((link for link in self.routes if link.wants(message.payload)), None)
        if route is None:
            self._answer(call_, segment, now, Reply(403, "MissingAuthenticationTokenException",
                                                    "Missing Authentication Token"))
            return
        overhead = self.overhead.sample(self.rng) / 1000.0
        if self.faults:
            overhead += self.faults.extra_ms(now) / 1000.0
        state = {"answered": False}

        def integrated(reply: Reply) -> None:
            if state["answered"]:
                return  # the integration timed out already; its late answer goes nowhere
            state["answered"] = True
            self.kernel.cancel(timer)
            self.integration_latencies.append((self.kernel.now - started) * 1000.0)
            self.kernel.schedule(overhead / 2, self._answer, call_, segment, now, self._map(route.target.kind.name,
                                                                                          reply))

        def timed_out() -> None:
            if not state["answered"]:
                state["answered"] = True
                self._answer(call_, segment, now, Reply(504, "IntegrationTimeout",
                                                        "Endpoint request timed out"))

        started = now + overhead / 2
        self.kernel.schedule(overhead / 2, self._integrate, segment, route, message, integrated)
        timer = self.kernel.schedule(overhead / 2 + self.timeout_s, timed_out)

    def _integrate(self, segment: Segment, route: Any, message: Any, integrated: Any) -> None:
        call(self, segment, route, message, integrated, sdk_retries=False)

    @staticmethod
    def _map(target_kind: str, reply: Reply) -> Reply:
        """What the caller sees for an integration's answer."""
        if reply.ok:
            return Reply(200, payload=reply.payload)
        if target_kind == "lambda":
            if reply.function_error:
                return Reply(502, reply.error, "Internal server error: " + reply.message)
            return Reply(500, reply.error, "Internal server error: " + reply.message)
        return reply

    def _answer(self, call_: Call, segment: Segment, started: float, reply: Reply) -> None:
        now = self.kernel.now
        segment.end_time = epoch(now)
        assert segment.http is not None
        segment.http["response"] = {"status": reply.status}
        if 400 <= reply.status < 500:
            self.errors_4xx += 1
        elif reply.status >= 500:
            self.errors_5xx += 1
        self.latencies.append((now - started) * 1000.0)
        segment.annotations["outcome"] = (
            "ok" if reply.ok else "throttled" if reply.throttled else "timeout" if reply.status == 504
            else "error" if reply.status < 500 else "fault"
        )
        mark(segment, reply, self.sim.ids.segment_id())
        self.emit(segment)
        call_.reply(reply)

    def metrics(self) -> dict[str, Any]:
        from emulator.simulation import percentiles

        return {
            "Count": self.count,
            "4XXError": self.errors_4xx,
            "5XXError": self.errors_5xx,
            "Latency": percentiles(self.latencies),
            "IntegrationLatency": percentiles(self.integration_latencies),
        }

    def cost_usd(self) -> float:
        return self.count * APIGATEWAY_PER_REQUEST


KIND = Kind(
    name="apigateway",
    title="API Gateway",
    cloudformation_type="AWS::ApiGateway::RestApi",
    description="A REST API: throttles with a token bucket, routes to one integration, times out at 29 s.",
    runtime=ApiGateway,
    entry_point=True,
    origin="AWS::ApiGateway::Stage",
    properties=(
        Field("ThrottlingRateLimit", "number", 10000, "Steady-state requests per second (the token bucket's "
              "refill rate). The account default is 10,000.", minimum=0, maximum=10000, unit="requests/s"),
        Field("ThrottlingBurstLimit", "integer", 5000, "The most requests served at once above the steady rate "
              "(the bucket's size). The account default is 5,000.", minimum=0, maximum=5000, unit="requests"),
        Field("TimeoutInMillis", "integer", 29000, "Integration timeout; past it the caller gets 504.",
              minimum=50, maximum=29000, unit="ms"),
    ),
    behavior=(
        Field("overhead_ms", "duration", {"median": 6, "p99": 20},
              "Time API Gateway itself adds to a request (half before the integration, half after)."),
    ),
)
