"""API Gateway WebSocket APIs: connections opened by clients, PostToConnection pushes, 410 Gone, idle timeout.

The rules are the package docstring's (emulator/services/websocket/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, balanced, run, seconds, topology

UPDATES = {"id": "Updates", "kind": "websocket", "behavior": {"overhead_ms": 10}}


def pushing(work_ms: float = 100, connect: bool = True, faults: list[dict[str, Any]] | None = None) -> Run:
    """A page opens a connection to Updates (if ``connect``), then hands its order to Worker, which pushes back."""
    worker = {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 900},
              "behavior": {"duration_ms": work_ms, "cold_start_ms": 0}}
    connections = [{"source": "Page", "target": "Worker", "role": "event"},
                   {"source": "Worker", "target": "Updates", "role": "request"}]
    if connect:
        connections.insert(0, {"source": "Page", "target": "Updates", "role": "request"})
    document = topology([{"id": "Page", "kind": "client"}, UPDATES, worker], connections)
    return run(document, [{"target": "Page", "rate": {"per_second": 1}, "count": 1, "payload": {"order": 1}}],
               drain_s=1200, faults=faults)


def test_a_push_over_the_clients_connection_arrives_as_a_client_segment_under_the_apis_in_the_same_trace() -> None:
    result = pushing()
    page, received = sorted(result.named("Page"), key=lambda s: s.start_time)
    connect, push = sorted(result.named("Updates"), key=lambda s: s.start_time)
    [worker] = result.named("Worker", "AWS::Lambda::Function")
    assert {s.trace_id for s in (page, received, connect, push, worker)} == {page.trace_id}
    assert page.subsegments[0].aws == {"operation": "$connect"}
    assert connect.http == {"response": {"status": 200}} and seconds(connect.end_time) == pytest.approx(0.010)
    [post] = [s for s in worker.subsegments or () if s.name == "Updates"]
    assert post.aws == {"operation": "PostToConnection"} and push.parent_id == post.id
    # The frame reaches the page as API Gateway answers the function: 10 ms after the push.
    assert received.parent_id == push.id and received.annotations["outcome"] == "received"
    assert seconds(received.start_time) == pytest.approx(seconds(push.start_time) + 0.010)
    assert seconds(received.start_time) == pytest.approx(seconds(push.end_time))
    assert result.component("Page") == {"MessagesReceived": 1}
    assert balanced(result.summary)


def test_a_push_to_a_connection_never_opened_answers_410_gone_exception() -> None:
    result = pushing(connect=False)
    assert [s.annotations["outcome"] for s in result.named("Page")] == ["ok"]  # no receipt
    pushes = result.named("Updates")
    # The function fails on the 410, so Lambda's asynchronous retries push twice more, to no avail.
    assert len(pushes) == 3
    for push in pushes:
        assert push.http == {"response": {"status": 410}} and push.error and not push.fault
        assert push.cause["exceptions"][0]["type"] == "GoneException"
    metrics = result.component("Updates")
    assert metrics["ClientError"] == 3 and metrics["MessageCount"] == 0 and metrics["ConnectCount"] == 0


def test_a_connection_idle_for_10_minutes_is_closed_and_a_later_push_is_gone() -> None:
    in_time = pushing(work_ms=590_000)
    too_late = pushing(work_ms=610_000)
    assert in_time.component("Updates")["MessageCount"] == 1
    assert too_late.component("Updates")["MessageCount"] == 0
    assert too_late.component("Updates")["ClientError"] == 1
    assert too_late.component("Page") == {"MessagesReceived": 0}


def test_a_live_sample_stops_counting_a_connection_once_it_has_been_idle_for_10_minutes() -> None:
    result = pushing()
    api = result.sim.components["Updates"]
    last_used = max(seconds(s.end_time) for s in result.named("Updates"))
    result.sim.kernel.run(until=last_used + 599.0)
    assert api.gauges() == {"connections": 1.0}
    result.sim.kernel.run(until=last_used + 601.0)  # no request since: the close is not waiting for one
    assert api.gauges() == {"connections": 0.0}


def test_the_api_counts_connections_and_messages_and_bills_messages_and_connection_minutes() -> None:
    result = pushing()
    metrics = result.component("Updates")
    assert metrics["ConnectCount"] == 1 and metrics["MessageCount"] == 1
    assert metrics["ClientError"] == metrics["ExecutionError"] == 0
    # One message at $1.00 a million; the connection open from 0 s to the run's end.
    minutes = result.summary["virtual_seconds"] / 60.0
    assert result.summary["cost_usd"]["by_component"]["Updates"] == pytest.approx(
        1.00 / 1e6 + minutes * 0.25 / 1e6, abs=1e-8)


@pytest.mark.parametrize(("kind", "status", "error"), [
    ("unavailable", 503, "ServiceUnavailable"),
    ("throttle", 429, "LimitExceededException"),
    ("error_rate", 500, "InternalServerErrorException"),
])
def test_faults_fail_the_connection_attempt_with_the_apis_errors(kind: str, status: int, error: str) -> None:
    # A throttle fault's value is the rate it allows: a thousandth of a request a second refuses the first.
    fault = {"component": "Updates", "kind": kind, "from_s": 0, "to_s": 0.005,
             "value": 0.001 if kind == "throttle" else 1}
    result = pushing(faults=[fault])
    [page] = result.named("Page")
    assert page.http == {"response": {"status": status}}
    [connect] = result.named("Updates")
    assert connect.cause["exceptions"][0]["type"] == error
    assert result.summary["messages"]["rejected"] == 1


def test_a_slow_fault_delays_the_push() -> None:
    result = pushing(faults=[{"component": "Updates", "kind": "slow", "from_s": 0, "to_s": 100, "value": 200}])
    connect = min(result.named("Updates"), key=lambda s: s.start_time)
    assert seconds(connect.end_time) == pytest.approx(0.210)
