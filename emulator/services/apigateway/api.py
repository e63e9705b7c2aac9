"""An API Gateway REST API at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.kernel import Deadline, Deadlines
from emulator.pricing import APIGATEWAY_PER_REQUEST
from emulator.services.apigateway.authorizer import Authorizer
from emulator.services.base import Call, Component, Link, Reply, call, mark, service_unavailable
from emulator.tracing import EPOCH, Segment


class ApiRequest:
    """One request through the API, from arrival to answer."""

    __slots__ = ("api", "call", "segment", "started", "route", "overhead_half", "integration_started", "deadline")

    def __init__(self, api: ApiGateway, call_: Call, segment: Segment, started: float, route: Link | None) -> None:
        self.api = api
        self.call = call_
        self.segment = segment
        self.started = started
        self.route = route
        self.overhead_half = 0.0
        self.integration_started = started
        self.deadline: Deadline | None = None

    def integrated(self, reply: Reply) -> None:
        """The integration's answer (a method rather than a partial: one object fewer per request)."""
        self.api._integrated(self, reply)

    def authorized(self, denial: Reply | None) -> None:
        """The authorizer's verdict: None lets the request through, a reply refuses it."""
        self.api._authorized(self, denial)


class ApiGateway(Component):
    def connect(self) -> None:
        self.rate = float(self.properties["ThrottlingRateLimit"])
        self.burst = float(self.properties["ThrottlingBurstLimit"])
        self.timeout_s = self.properties["TimeoutInMillis"] / 1000.0
        self.overhead = Duration.from_spec(self.behavior["overhead_ms"])
        self._tokens = self.burst
        self._refilled_at = 0.0
        self.count = self.answered = self.errors_4xx = self.errors_5xx = self.throttled = 0
        self.latencies = Latencies()
        self.integration_latencies = Latencies()
        self.routes = self.links("request")
        self.timeouts = Deadlines(self.kernel, self.timeout_s, self._timed_out)
        # Bound once: a method object made and freed for each request's events costs more than it looks.
        self._integrate_callback: Callable[[ApiRequest], None] = self._integrate
        self._answer_callback: Callable[[ApiRequest, Reply], None] = self._answer
        # Shared by every segment of this API (never changed once built).
        self._http_request = {"method": "POST",
                              "url": f"https://{self.id.lower()}.execute-api.us-east-1.amazonaws.com/prod/"}
        self._http: dict[int, dict[str, Any]] = {}  # by response status
        self._aws = {"api_id": self.id.lower(), "stage": "prod"}
        authorizers = self.links("authorizer")
        self.authorizer = Authorizer(self, authorizers[0]) if authorizers else None

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
        segment.aws = self._aws
        segment.annotations["attempt"] = 1
        self.open_segments[segment.id] = segment
        faults = self.faults
        if faults and faults.unavailable(now):
            self._answer(ApiRequest(self, call_, segment, now, None), service_unavailable(self.id))
            return
        if not self._take_token(now) or (faults and faults.throttled(now)):
            self._answer(ApiRequest(self, call_, segment, now, None),
                         Reply(429, "TooManyRequestsException", "Too Many Requests"))
            return
        # Drawn only while an error_rate fault is active, so runs without one keep their draws.
        error_rate = faults.error_rate(now, 0.0) if faults else 0.0
        if error_rate > 0 and self.rng.random() < error_rate:
            self._answer(ApiRequest(self, call_, segment, now, None),
                         Reply(500, "InternalServerErrorException", "Internal server error (injected fault)"))
            return
        route = self._route(message.payload)
        if route is None:
            self._answer(ApiRequest(self, call_, segment, now, None),
                         Reply(403, "MissingAuthenticationTokenException", "Missing Authentication Token"))
            return
        api_request = ApiRequest(self, call_, segment, now, route)
        if self.authorizer is not None:
            self.authorizer.authorize(message, segment, api_request.authorized)
            return
        self._admit(api_request)

    def _authorized(self, api_request: ApiRequest, denial: Reply | None) -> None:
        if denial is None:
            self._admit(api_request)
        else:
            self._answer(api_request, denial)

    def _admit(self, api_request: ApiRequest) -> None:
        """The request goes on to its integration, after the first half of API Gateway's own overhead."""
        now = self.kernel.now
        faults = self.faults
        overhead = self.overhead.sample(self.rng) / 1000.0
        if faults:
            overhead += faults.extra_ms(now) / 1000.0
        api_request.overhead_half = overhead / 2
        self.kernel.schedule(api_request.overhead_half, self._integrate_callback, api_request)

    def _route(self, payload: Any) -> Link | None:
        """The first request connection whose ``when`` matches the payload."""
        for link in self.routes:
            if not link.conditional or link.wants(payload):
                return link
        return None

    def _integrate(self, api_request: ApiRequest) -> None:
        api_request.integration_started = self.kernel.now
        api_request.deadline = self.timeouts.start(api_request)
        assert api_request.route is not None
        call(self, api_request.segment, api_request.route, api_request.call.message,
             api_request.integrated, sdk_retries=False)

    def _integrated(self, api_request: ApiRequest, reply: Reply) -> None:
        deadline = api_request.deadline
        if deadline is None or not deadline.active:
            return  # the integration timed out already; its late answer goes nowhere
        deadline.cancel()
        now = self.kernel.now
        self.integration_latencies.add((now - api_request.integration_started) * 1000.0)
        assert api_request.route is not None
        self.kernel.schedule(api_request.overhead_half, self._answer_callback, api_request,
                             self._map(api_request.route.target.kind.name, reply))

    def _timed_out(self, api_request: ApiRequest) -> None:
        self._answer(api_request, Reply(504, "IntegrationTimeout", "Endpoint request timed out"))

    def _new_http(self, status: int) -> dict[str, Any]:
        http = self._http[status] = {"request": self._http_request, "response": {"status": status}}
        return http

    @staticmethod
    def _map(target_kind: str, reply: Reply) -> Reply:
        """What the caller sees for an integration's answer."""
        if reply.ok:
            if reply.status == 200 and not reply.message:
                return reply  # already what the caller sees (replies are never changed)
            return Reply(200, payload=reply.payload)
        if target_kind == "lambda":
            if reply.function_error:
                return Reply(502, reply.error, "Internal server error: " + reply.message)
            return Reply(500, reply.error, "Internal server error: " + reply.message)
        return reply

    def _answer(self, api_request: ApiRequest, reply: Reply) -> None:
        now = self.kernel.now
        segment, started = api_request.segment, api_request.started
        status = reply.status
        self.answered += 1
        segment.end_time = EPOCH + now
        segment.http = self._http.get(status) or self._new_http(status)
        if 400 <= status < 500:
            self.errors_4xx += 1
            if status == 429:
                self.throttled += 1
        elif status >= 500:
            self.errors_5xx += 1
        self.latencies.add((now - started) * 1000.0)
        # One id is drawn for each answer, failed or not, so the id sequence (hence every trace) is as it was.
        exception_id = self.segment_id()
        if reply.ok:
            segment.annotations["outcome"] = "ok"
        else:
            segment.annotations["outcome"] = (
                "throttled" if reply.throttled else "timeout" if status == 504 else "error" if status < 500 else "fault"
            )
            mark(segment, reply, exception_id)
        del self.open_segments[segment.id]
        self.emit(segment)
        api_request.call.reply(reply)

    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {
            "Count": self.count,
            "4XXError": self.errors_4xx,
            "5XXError": self.errors_5xx,
            "Latency": self.latencies.percentiles(),
            "IntegrationLatency": self.integration_latencies.percentiles(),
        }
        if self.authorizer is not None:
            metrics.update(self.authorizer.metrics())
        return metrics

    def gauges(self) -> dict[str, float]:
        return {"in_flight": self.count - self.answered}

    def activity(self) -> tuple[int, int, int]:
        return (self.count, self.errors_4xx - self.throttled + self.errors_5xx, self.throttled)

    def cost_usd(self) -> float:
        return self.count * APIGATEWAY_PER_REQUEST
