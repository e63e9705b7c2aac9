"""A third-party HTTP API: latency, errors, outages, rate limits and the callers' timeout, seen from the caller.

The rules are the package docstring's (emulator/services/http/__init__.py): the API has no segment
of its own; the call is the caller's ``remote`` subsegment.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, run, seconds, topology


def caller_to_api(**behavior: Any) -> dict[str, Any]:
    return topology(
        [{"id": "Caller", "kind": "lambda", "properties": {"Timeout": 30},
          "behavior": {"duration_ms": 10, "cold_start_ms": 0}},
         {"id": "Partner", "kind": "http", "behavior": {"latency_ms": 100, **behavior}}],
        [{"source": "Caller", "target": "Partner", "role": "request"}],
    )


def calls(count: int, per_second: float = 10) -> list[dict[str, Any]]:
    return [{"target": "Caller", "rate": {"per_second": per_second}, "count": count, "payload": {"n": "$seq"}}]


def api_calls(result: Run) -> list[Any]:
    handlers = sorted(result.named("Caller"), key=lambda s: s.start_time)
    return [next(s for s in h.subsegments or [] if s.name == "Partner") for h in handlers]


def duration_ms(part: Any) -> float:
    return (seconds(part.end_time) - seconds(part.start_time)) * 1000.0


def test_a_call_takes_the_apis_latency_and_is_a_remote_subsegment_without_a_segment_of_its_own() -> None:
    result = run(caller_to_api(), calls(3))
    assert result.named("Partner") == []
    for subsegment in api_calls(result):
        assert subsegment.namespace == "remote" and subsegment.aws == {"operation": "POST"}
        assert duration_ms(subsegment) == pytest.approx(100, abs=0.01)
    assert result.component("Partner")["Requests"] == 3


def test_the_error_rate_answers_500_and_fails_the_caller_without_a_retry() -> None:
    result = run(caller_to_api(error_rate=0.3), calls(400, per_second=100), duration_s=10)
    metrics = result.component("Partner")
    assert metrics["Requests"] == 400
    assert metrics["5XXError"] == pytest.approx(120, abs=30)
    assert result.component("Caller")["Errors"] == metrics["5XXError"]
    assert all(s.fault for s in api_calls(result) if s.cause)


def test_past_the_timeout_the_caller_gives_up_with_504() -> None:
    result = run(caller_to_api(timeout_ms=50), calls(2))
    for subsegment in api_calls(result):
        assert duration_ms(subsegment) == pytest.approx(50, abs=0.01)
        assert subsegment.cause["exceptions"][0]["type"] == "ClientTimeout"  # type: ignore[index]
    assert result.component("Partner")["Timeouts"] == 2


def test_an_outage_window_refuses_calls_at_once_then_the_api_recovers() -> None:
    result = run(caller_to_api(), calls(40, per_second=10), duration_s=10,
                 faults=[{"component": "Partner", "kind": "unavailable", "from_s": 1, "to_s": 2}])
    failed = [s for s in api_calls(result) if s.fault]
    assert len(failed) == 10
    assert all(1 <= seconds(s.start_time) < 2 and duration_ms(s) == pytest.approx(1, abs=0.01) for s in failed)


def test_a_slow_fault_pushes_calls_past_the_timeout() -> None:
    result = run(caller_to_api(timeout_ms=1000), calls(2),
                 faults=[{"component": "Partner", "kind": "slow", "value": 2000, "from_s": 0, "to_s": 10}])
    assert result.component("Partner")["Timeouts"] == 2


def test_a_throttle_fault_answers_429_past_the_rate() -> None:
    result = run(caller_to_api(), calls(20, per_second=20),
                 faults=[{"component": "Partner", "kind": "throttle", "value": 5, "from_s": 0, "to_s": 10}])
    throttled = [s for s in api_calls(result) if s.throttle]
    assert throttled and result.component("Partner")["4XXError"] == len(throttled)


def test_an_sns_topic_delivers_to_an_http_subscriber_and_pays_for_it() -> None:
    document = topology(
        [{"id": "Topic", "kind": "sns"}, {"id": "Webhook", "kind": "http", "behavior": {"latency_ms": 50}}],
        [{"source": "Topic", "target": "Webhook", "role": "subscription"}],
    )
    result = run(document, [{"target": "Topic", "rate": {"per_second": 1}, "count": 2, "payload": {"n": 1}}])
    assert result.component("Topic")["NumberOfNotificationsDelivered"] == 2
    assert result.component("Webhook")["Requests"] == 2
