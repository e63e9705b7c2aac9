"""API Gateway: the token bucket, routes, the integration timeout, error mapping, faults, metrics, cost.

Numbers from shared/spec/semantics.md ("API Gateway"), read from traces and summaries.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.services.apigateway import KIND
from tests.emulator.scenario import Run, balanced, run, seconds, topology

AT_ONCE = 1_000_000  # requests per second: a source that sends its whole count in a few microseconds


def api(properties: dict[str, Any] | None = None, overhead_ms: float = 0) -> dict[str, Any]:
    return {"id": "Api", "kind": "apigateway", "properties": properties or {}, "behavior": {"overhead_ms": overhead_ms}}


def function(function_id: str = "Handler", properties: dict[str, Any] | None = None,
             **behavior: Any) -> dict[str, Any]:
    """A function with a fixed 10 ms handler and no INIT time, unless told otherwise."""
    return {"id": function_id, "kind": "lambda", "properties": properties or {},
            "behavior": {"duration_ms": 10, "cold_start_ms": 0, **behavior}}


def api_to(target: dict[str, Any], api_properties: dict[str, Any] | None = None, overhead_ms: float = 0,
           **connection: Any) -> dict[str, Any]:
    return topology([api(api_properties, overhead_ms), target],
                    [{"source": "Api", "target": target["id"], "role": "request", **connection}])


def requests(count: int, per_second: float = AT_ONCE, payload: Any = None) -> list[dict[str, Any]]:
    return [{"target": "Api", "rate": {"per_second": per_second}, "count": count,
             "payload": {"n": "$seq"} if payload is None else payload}]


def in_arrival_order(result: Run, name: str = "Api") -> list[Any]:
    """Segments are emitted as they end; this puts them back in the order the requests arrived."""
    return sorted(result.named(name), key=lambda s: s.annotations["message_id"])


def statuses(result: Run) -> list[int]:
    return [s.http["response"]["status"] for s in in_arrival_order(result)]


def only(result: Run, name: str) -> Any:
    segments = result.named(name)
    assert len(segments) == 1, [s.annotations for s in segments]
    return segments[0]


# Throttling: a token bucket of ThrottlingBurstLimit tokens refilled at ThrottlingRateLimit -----
def test_a_full_bucket_lets_exactly_the_burst_through_at_once_and_answers_the_rest_429() -> None:
    result = run(api_to(function(), {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5}), requests(20))
    assert statuses(result) == [200] * 5 + [429] * 15
    throttled = [s for s in result.named("Api") if s.http["response"]["status"] == 429]
    assert all(s.error and s.throttle and not s.fault for s in throttled)
    assert {s.annotations["outcome"] for s in throttled} == {"throttled"}
    assert {s.cause["exceptions"][0]["type"] for s in throttled} == {"TooManyRequestsException"}
    assert result.summary["messages"]["rejected"] == 15


def test_a_429_is_answered_before_the_integration_runs() -> None:
    result = run(api_to(function(), {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5}), requests(20))
    assert result.component("Handler")["Invocations"] == 5
    # A throttled request calls nothing and is answered at once.
    for segment in result.named("Api"):
        if segment.annotations["outcome"] == "throttled":
            assert segment.subsegments is None
            assert segment.end_time == segment.start_time


def test_after_the_burst_requests_pass_at_the_steady_rate() -> None:
    result = run(api_to(function(), {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5}),
                 requests(300, per_second=100), duration_s=3)
    passed = [seconds(s.start_time) for s in result.named("Api") if s.annotations["outcome"] == "ok"]
    # The first second: the 5 of the burst plus the refill; then 10 a second, one every 0.1 s.
    assert sum(1 for t in passed if 1 <= t < 2) == 10
    assert sum(1 for t in passed if 2 <= t < 3) == 10
    assert len(passed) == 5 + 29  # 5 + 10/s over the 2.99 s of arrivals
    assert result.component("Handler")["Invocations"] == len(passed)


def test_the_bucket_never_holds_more_than_the_burst_limit() -> None:
    # Two bursts 10 s apart: 100 tokens' worth of refill, but the bucket holds 5.
    sources = [*requests(20), {"target": "Api", "rate": {"per_second": AT_ONCE}, "count": 20, "start_s": 10}]
    result = run(api_to(function(), {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5}), sources,
                 duration_s=11)
    assert statuses(result).count(200) == 10


def test_a_zero_burst_limit_throttles_every_request_and_never_invokes_the_function() -> None:
    result = run(api_to(function(), {"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 0}), requests(4))
    assert statuses(result) == [429] * 4
    assert result.component("Handler")["Invocations"] == 0
    assert result.component("Api")["4XXError"] == 4


def test_the_account_defaults_are_10000_per_second_with_a_burst_of_5000() -> None:
    defaults = {field.name: field.default for field in KIND.properties}
    assert defaults["ThrottlingRateLimit"] == 10000
    assert defaults["ThrottlingBurstLimit"] == 5000
    assert defaults["TimeoutInMillis"] == 29000
    # A queue behind the API, as Lambda would throttle past its 1,000 concurrent executions.
    result = run(api_to({"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 0}}), requests(5200), drain_s=1)
    answered = statuses(result)
    # 5,000 at once, plus the refill at 10,000/s during the 5.199 ms between the first and last arrival.
    assert answered[:5000] == [200] * 5000
    assert answered.count(200) == 5000 + 51


# Routes --------------------------------------------------------------------------------------
ROUTED = topology(
    [api(), function("Orders"), function("Refunds"), function("Everything")],
    [{"source": "Api", "target": "Orders", "role": "request", "properties": {"when": {"path": ["/orders"]}}},
     {"source": "Api", "target": "Refunds", "role": "request", "properties": {"when": {"path": ["/refunds"]}}},
     {"source": "Api", "target": "Everything", "role": "request", "properties": {"when": {"path": [{"prefix": "/"}]}}}],
)


def test_each_request_goes_to_the_first_route_whose_pattern_matches() -> None:
    # "/orders" matches both Orders and the catch-all after it: the first listed wins.
    result = run(ROUTED, requests(6, per_second=10, payload={"path": {"$choice": ["/orders", "/refunds"]}}))
    called = set()
    for segment in result.named("Api"):
        [subsegment] = segment.subsegments
        path = segment.metadata["message"]["payload"]["path"]
        assert subsegment.name == {"/orders": "Orders", "/refunds": "Refunds"}[path]
        called.add(subsegment.name)
    assert called == {"Orders", "Refunds"}
    assert result.component("Everything")["Invocations"] == 0


def test_a_request_only_the_catch_all_route_wants_goes_there() -> None:
    result = run(ROUTED, requests(1, payload={"path": "/other"}))
    assert statuses(result) == [200]
    assert result.component("Everything")["Invocations"] == 1


def test_a_request_no_route_wants_is_answered_403_missing_authentication_token() -> None:
    result = run(ROUTED, requests(2, payload={"verb": "GET"}))
    assert statuses(result) == [403, 403]
    for segment in result.named("Api"):
        assert segment.error and not segment.throttle and not segment.fault
        assert segment.annotations["outcome"] == "error"
        assert segment.cause["exceptions"][0]["type"] == "MissingAuthenticationTokenException"
        assert segment.subsegments is None
    assert sum(result.component(f)["Invocations"] for f in ("Orders", "Refunds", "Everything")) == 0
    assert result.component("Api")["4XXError"] == 2


def test_a_route_without_a_pattern_takes_every_request() -> None:
    result = run(api_to(function()), requests(3, payload={"anything": 1}))
    assert statuses(result) == [200, 200, 200]


# The integration: timeout and error mapping ---------------------------------------------------
def test_an_integration_slower_than_timeout_in_millis_is_answered_504_at_the_timeout() -> None:
    slow = function(properties={"Timeout": 10}, duration_ms=5000)
    result = run(api_to(slow, {"TimeoutInMillis": 1000}), requests(1))
    segment = only(result, "Api")
    assert segment.http["response"]["status"] == 504
    assert segment.fault and segment.annotations["outcome"] == "timeout"
    assert seconds(segment.end_time) - seconds(segment.start_time) == pytest.approx(1.0)
    assert result.component("Api")["5XXError"] == 1


def test_the_function_keeps_running_after_the_integration_timed_out() -> None:
    slow = function(properties={"Timeout": 10}, duration_ms=5000)
    result = run(api_to(slow, {"TimeoutInMillis": 1000}), requests(1))
    handler = only(result, "Handler")
    assert handler.annotations["outcome"] == "ok"
    assert seconds(handler.end_time) == pytest.approx(5.0)
    assert result.component("Handler")["Invocations"] == 1


def test_the_default_integration_timeout_is_29_seconds() -> None:
    slow = function(properties={"Timeout": 60}, duration_ms=40_000)
    result = run(api_to(slow), requests(1))
    segment = only(result, "Api")
    assert segment.http["response"]["status"] == 504
    assert seconds(segment.end_time) == pytest.approx(29.0)


def test_a_throttled_function_becomes_a_500_and_is_not_retried() -> None:
    result = run(api_to(function(properties={"ReservedConcurrentExecutions": 0})), requests(1))
    segment = only(result, "Api")
    assert segment.http["response"]["status"] == 500
    assert segment.fault and not segment.throttle
    assert segment.cause["exceptions"][0]["type"] == "TooManyRequestsException"
    # API Gateway never retries: one throttle, no retries on the call.
    assert result.component("Handler")["Throttles"] == 1
    assert "retries" not in segment.subsegments[0].aws
    assert result.component("Api")["5XXError"] == 1


def test_a_function_error_becomes_a_502_and_is_not_retried() -> None:
    result = run(api_to(function(error_rate=1.0)), requests(1))
    segment = only(result, "Api")
    assert segment.http["response"]["status"] == 502
    assert segment.fault and segment.annotations["outcome"] == "fault"
    assert segment.cause["exceptions"][0]["type"] == "Error"
    assert result.component("Handler")["Invocations"] == 1
    assert result.component("Handler")["Errors"] == 1


def test_the_integration_hangs_under_the_api_segment_and_the_function_under_its_call() -> None:
    result = run(api_to(function()), requests(1))
    segment, handler = only(result, "Api"), only(result, "Handler")
    [integration] = segment.subsegments
    assert integration.name == "Handler" and integration.aws["operation"] == "Invoke"
    assert handler.parent_id == integration.id and handler.trace_id == segment.trace_id
    assert segment.parent_id is None  # the workload called the API directly: it is the root


# Direct integrations ---------------------------------------------------------------------------
def test_a_direct_sqs_integration_sends_the_request_to_the_queue() -> None:
    queue = {"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 0}}
    result = run(api_to(queue), requests(3, per_second=10), drain_s=1)
    assert statuses(result) == [200, 200, 200]
    assert result.component("Inbox")["NumberOfMessagesSent"] == 3
    assert only_operation(result) == {"SendMessage"}
    assert result.summary["messages"]["in_flight"] == 3  # nobody consumes the queue
    assert balanced(result.summary)


def test_a_direct_sns_integration_publishes_the_request() -> None:
    topic = {"id": "Events", "kind": "sns"}
    result = run(api_to(topic), requests(2, per_second=10))
    assert statuses(result) == [200, 200]
    assert result.component("Events")["NumberOfMessagesPublished"] == 2
    assert only_operation(result) == {"Publish"}


def test_a_direct_dynamodb_integration_performs_the_connections_operation() -> None:
    table = {"id": "Items", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"}}
    result = run(api_to(table, properties={"Operation": "GetItem"}), requests(2, per_second=10))
    assert statuses(result) == [200, 200]
    assert only_operation(result) == {"GetItem"}
    assert result.component("Items")["ConsumedReadCapacityUnits"] == 2


def test_a_direct_integrations_own_error_reaches_the_caller_unchanged() -> None:
    # Provisioned 1 WCU: one write passes, the next is a DynamoDB throttle (400), not a 5xx.
    table = {"id": "Items", "kind": "dynamodb", "properties": {"WriteCapacityUnits": 1}}
    result = run(api_to(table), requests(2))
    assert statuses(result) == [200, 400]
    refused = in_arrival_order(result)[1]
    assert refused.error and refused.throttle
    assert refused.cause["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"


def only_operation(result: Run) -> set[str]:
    return {s.subsegments[0].aws["operation"] for s in result.named("Api")}


# Faults ------------------------------------------------------------------------------------------
def fault(kind: str, value: float | None = None, from_s: float = 0, to_s: float = 1) -> list[dict[str, Any]]:
    window: dict[str, Any] = {"component": "Api", "kind": kind, "from_s": from_s, "to_s": to_s}
    if value is not None:
        window["value"] = value
    return [window]


def test_an_unavailable_api_answers_503_inside_the_window_without_invoking_anything() -> None:
    result = run(api_to(function()), requests(4, per_second=2), faults=fault("unavailable"))
    assert statuses(result) == [503, 503, 200, 200]
    assert in_arrival_order(result)[0].fault
    assert result.component("Handler")["Invocations"] == 2


def test_a_slow_fault_adds_its_milliseconds_to_the_api_latency() -> None:
    result = run(api_to(function()), requests(2, per_second=1), faults=fault("slow", 500))
    durations = [seconds(s.end_time) - seconds(s.start_time) for s in in_arrival_order(result)]
    assert durations == [pytest.approx(0.510), pytest.approx(0.010)]


def test_an_error_rate_fault_answers_500_before_the_integration() -> None:
    result = run(api_to(function()), requests(10, per_second=20), faults=fault("error_rate", 1.0, to_s=0.25))
    # Requests at 0, 0.05 ... 0.2 fail; the other five reach the function.
    assert statuses(result) == [500] * 5 + [200] * 5
    assert all(s.fault for s in in_arrival_order(result)[:5])
    assert result.component("Handler")["Invocations"] == 5
    assert result.component("Api")["5XXError"] == 5


def test_a_throttle_fault_limits_requests_to_its_rate_with_429() -> None:
    result = run(api_to(function()), requests(20, per_second=10), faults=fault("throttle", 2, to_s=2),
                 duration_s=2)
    answered = statuses(result)
    # 2 a second while the fault lasts: a bucket of one second's worth, then one every 0.5 s.
    assert answered[:3] == [200, 200, 429]
    assert answered.count(200) == 5
    assert result.component("Api")["4XXError"] == 15
    assert result.component("Handler")["Invocations"] == 5


# Metrics and cost -------------------------------------------------------------------------------
def test_metrics_count_requests_client_and_server_errors_and_latencies() -> None:
    document = topology(
        [api({"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 3}, overhead_ms=6), function("Ok"),
         function("Failing", error_rate=1.0)],
        [{"source": "Api", "target": "Failing", "role": "request", "properties": {"when": {"fail": [True]}}},
         {"source": "Api", "target": "Ok", "role": "request", "properties": {"when": {"fail": [False]}}}],
    )
    sources = [{"target": "Api", "rate": {"per_second": AT_ONCE}, "count": 2, "payload": {"fail": False}},
               {"target": "Api", "rate": {"per_second": AT_ONCE}, "count": 2, "payload": {"fail": True},
                "start_s": 0.5}]
    metrics = run(document, sources).component("Api")
    # Two 200s; the third token gives one 502; the fourth request finds the bucket empty: 429.
    assert metrics["Count"] == 4
    assert metrics["4XXError"] == 1
    assert metrics["5XXError"] == 1
    # Latency is everything (6 ms of API Gateway + 10 ms of handler); IntegrationLatency the handler.
    assert metrics["IntegrationLatency"]["p50"] == pytest.approx(10.0)
    assert max(metrics["Latency"].values()) == pytest.approx(16.0)


def test_cost_is_3_50_dollars_per_million_requests() -> None:
    result = run(api_to(function()), requests(40, per_second=10), duration_s=4)
    assert result.summary["cost_usd"]["by_component"]["Api"] == pytest.approx(40 * 3.50 / 1_000_000)
