"""The client: its connections in order, one answer at a time, the first failure ends it; the trace root.

The rules are the package docstring's (emulator/services/client/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, balanced, run, seconds, topology


def function(function_id: str, properties: dict[str, Any] | None = None, **behavior: Any) -> dict[str, Any]:
    return {"id": function_id, "kind": "lambda", "properties": properties or {},
            "behavior": {"duration_ms": 100, "cold_start_ms": 0, **behavior}}


QUEUE = {"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 20}}
TABLE = {"id": "Items", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"},
         "behavior": {"latency_ms": 5}}


def client_calling(*targets: dict[str, Any], roles: tuple[str, ...] = (),
                   when: dict[str, Any] | None = None) -> dict[str, Any]:
    """A client with one connection to each target, in this order (``request`` unless ``roles`` says)."""
    connections = []
    for index, target in enumerate(targets):
        connection: dict[str, Any] = {"source": "Caller", "target": target["id"],
                                      "role": roles[index] if index < len(roles) else "request"}
        if when and target["id"] in when:
            connection["properties"] = {"when": when[target["id"]]}
        connections.append(connection)
    return topology([{"id": "Caller", "kind": "client"}, *targets], connections)


def send(count: int = 1, payload: Any = None) -> list[dict[str, Any]]:
    return [{"target": "Caller", "rate": {"per_second": 1}, "count": count,
             "payload": {"n": "$seq"} if payload is None else payload}]


def caller(result: Run) -> Any:
    [segment] = result.named("Caller")
    return segment


# Connections in order, one answer at a time -------------------------------------------------------
def test_each_message_goes_through_the_connections_in_the_order_they_are_listed() -> None:
    result = run(client_calling(function("First"), QUEUE, TABLE), send(), drain_s=1)
    assert [s.name for s in caller(result).subsegments] == ["First", "Inbox", "Items"]
    assert [s.aws["operation"] for s in caller(result).subsegments] == ["Invoke", "SendMessage", "PutItem"]


def test_the_client_waits_for_each_answer_before_the_next_call() -> None:
    result = run(client_calling(function("First"), QUEUE, TABLE), send(), drain_s=1)
    first, queue, table = caller(result).subsegments
    assert seconds(first.end_time) == pytest.approx(0.100, abs=1e-6)
    assert queue.start_time == first.end_time
    assert seconds(queue.end_time) == pytest.approx(0.120, abs=1e-6)
    assert table.start_time == queue.end_time
    assert seconds(table.end_time) == pytest.approx(0.125, abs=1e-6)
    # The client's segment lasts as long as the caller waited: the three calls, end to end.
    assert caller(result).end_time == table.end_time
    assert caller(result).annotations["outcome"] == "ok"
    assert caller(result).http == {"response": {"status": 200}}


def test_the_first_failed_call_ends_the_message_and_the_later_connections_are_not_called() -> None:
    result = run(client_calling(function("First", error_rate=1.0), QUEUE, TABLE), send())
    segment = caller(result)
    assert [s.name for s in segment.subsegments] == ["First"]
    assert result.component("Inbox")["NumberOfMessagesSent"] == 0
    assert result.component("Items")["ConsumedWriteCapacityUnits"] == 0
    # A function error: the Invoke API answered 200 with the error; the caller sees a fault.
    assert segment.fault and segment.annotations["outcome"] == "error"
    assert segment.cause["exceptions"][0]["type"] == "Error"
    assert result.summary["messages"]["rejected"] == 1


def test_a_failure_in_a_later_call_keeps_the_earlier_calls_done() -> None:
    result = run(client_calling(TABLE, function("Second", {"ReservedConcurrentExecutions": 0}), QUEUE), send())
    segment = caller(result)
    assert [s.name for s in segment.subsegments] == ["Items", "Second"]
    assert result.component("Items")["ConsumedWriteCapacityUnits"] == 1
    assert result.component("Inbox")["NumberOfMessagesSent"] == 0
    # A throttle: 429 to the caller, X-Ray's error and throttle flags.
    assert segment.http == {"response": {"status": 429}}
    assert segment.error and segment.throttle and not segment.fault
    assert segment.annotations["outcome"] == "throttled"


def test_a_connection_whose_pattern_does_not_match_is_skipped() -> None:
    document = client_calling(function("Orders"), function("Refunds"), TABLE,
                              when={"Orders": {"type": ["order"]}, "Refunds": {"type": ["refund"]}})
    result = run(document, send(payload={"type": "refund"}))
    assert [s.name for s in caller(result).subsegments] == ["Refunds", "Items"]
    assert result.component("Orders")["Invocations"] == 0


def test_a_client_without_a_matching_connection_answers_ok_at_once() -> None:
    document = client_calling(function("Orders"), when={"Orders": {"type": ["order"]}})
    result = run(document, send(payload={"type": "other"}))
    segment = caller(result)
    assert segment.subsegments is None
    assert segment.end_time == segment.start_time
    assert result.summary["messages"]["completed"] == 1


# Asynchronous invocation ---------------------------------------------------------------------------
def test_an_event_connection_invokes_the_function_asynchronously_and_does_not_wait_for_it() -> None:
    result = run(client_calling(function("Worker"), TABLE, roles=("event",)), send())
    segment = caller(result)
    invoke, table = segment.subsegments
    # Lambda accepts the event at once (1 ms); the client goes on to the table while the function runs.
    assert seconds(invoke.end_time) - seconds(invoke.start_time) == pytest.approx(0.001, abs=1e-6)
    assert table.start_time == invoke.end_time
    [worker] = result.named("Worker", "AWS::Lambda::Function")
    assert seconds(worker.end_time) > seconds(segment.end_time)
    assert worker.annotations["outcome"] == "ok"
    # The function's segment hangs under the call in the same trace, linked as an async hop.
    assert worker.trace_id == segment.trace_id and worker.parent_id == invoke.id
    assert worker.links is not None
    assert result.summary["messages"]["completed"] == 1
    assert balanced(result.summary)


def test_a_failing_asynchronous_function_does_not_fail_the_client() -> None:
    result = run(client_calling(function("Worker", error_rate=1.0), roles=("event",)), send())
    segment = caller(result)
    assert segment.annotations["outcome"] == "ok"
    assert not (segment.error or segment.fault)
    assert result.component("Worker")["Errors"] == 3  # Lambda retries the event twice on its own


def test_the_client_segment_shows_the_202_of_an_asynchronous_invoke() -> None:
    result = run(client_calling(function("Worker"), roles=("event",)), send())
    assert caller(result).http == {"response": {"status": 202}}


# The trace -----------------------------------------------------------------------------------------
def test_the_client_segment_is_the_root_of_the_trace_and_every_hop_hangs_under_a_call() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Api", "kind": "apigateway", "behavior": {"overhead_ms": 0}},
         function("Handler"), TABLE],
        [{"source": "Caller", "target": "Api", "role": "request"},
         {"source": "Api", "target": "Handler", "role": "request"},
         {"source": "Handler", "target": "Items", "role": "request"}],
    )
    result = run(document, send(payload={"order": 7}))
    root = caller(result)
    assert root.parent_id is None and root.origin == "Wiretap::Client"
    assert root.metadata == {"message": {"payload": {"order": 7}}}
    assert root.annotations["attempt"] == 1
    [api] = result.named("Api")
    [handler] = result.named("Handler")
    assert {s.trace_id for s in result.segments} == {root.trace_id}
    assert api.parent_id == root.subsegments[0].id
    assert handler.parent_id == api.subsegments[0].id
    # Only the root keeps the payload.
    assert api.metadata is None
    # The root spans every hop below it.
    assert root.start_time <= api.start_time <= handler.start_time
    assert handler.end_time <= api.end_time <= root.end_time


def test_each_message_is_a_trace_of_its_own() -> None:
    result = run(client_calling(TABLE), send(count=3))
    roots = result.named("Caller")
    assert len({s.trace_id for s in roots}) == 3
    assert [s.annotations["message_id"] for s in sorted(roots, key=lambda s: s.start_time)] == [
        "msg-000001", "msg-000002", "msg-000003"]
