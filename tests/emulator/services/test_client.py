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


# Polling: the same request again, until the answer says done ----------------------------------------
STATUS_TABLE = {"id": "Orders", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"},
                "behavior": {"latency_ms": 5, "partition_key": "order_id", "status_attribute": "status"}}
UNTIL_DONE = {"Item": {"status": ["done"]}}


def polling(poll: dict[str, Any], done_at: float | None = 2.5) -> Run:
    """The client polls order o-1's status (GetItem) from t=0; a writer marks it done at ``done_at``."""
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Worker", "kind": "client"}, STATUS_TABLE],
        [{"source": "Caller", "target": "Orders", "role": "request",
          "properties": {"Operation": "GetItem", "poll": poll}},
         {"source": "Worker", "target": "Orders", "role": "request", "properties": {"Operation": "PutItem"}}])
    sources: list[dict[str, Any]] = [{"target": "Caller", "rate": {"per_second": 1}, "count": 1,
                                      "payload": {"order_id": "o-1"}}]
    if done_at is not None:
        sources.append({"target": "Worker", "rate": {"per_second": 1}, "count": 1, "start_s": done_at,
                        "payload": {"order_id": "o-1", "status": "done"}})
    return run(document, sources, drain_s=60)


def test_a_polling_client_asks_again_one_interval_after_each_answer_until_the_status_says_done() -> None:
    result = polling({"interval_s": 1, "until": UNTIL_DONE})
    [segment] = result.named("Caller")
    # Each GetItem takes 5 ms and the next poll leaves 1 s after the answer: 0, 1.005, 2.010, 3.015 s.
    # The write completes at 2.505 s, so the fourth poll is the first to see it.
    assert [seconds(s.start_time) for s in segment.subsegments] == pytest.approx([0, 1.005, 2.010, 3.015])
    assert all(s.aws == {"operation": "GetItem"} and s.name == "Orders" for s in segment.subsegments)
    assert segment.annotations["polls"] == 4 and segment.annotations["poll"] == "done"
    assert segment.annotations["outcome"] == "ok"
    # The caller's wait is the whole polling: it ends with the answer to the fourth poll.
    assert seconds(segment.end_time) == pytest.approx(3.020)
    assert balanced(result.summary)


def test_polling_counts_the_polls_that_did_not_see_the_status_as_wasted_and_the_delay_it_added() -> None:
    metrics = polling({"interval_s": 1, "until": UNTIL_DONE}).component("Caller")
    assert metrics["Polls"] == 4 and metrics["WastedPolls"] == 3
    assert metrics["PolledMessages"] == 1 and metrics["PollsPerMessage"] == 4
    assert metrics["PollsGivenUp"] == 0
    # Done at 2.505 s, seen by the poll answered at 3.020 s: polling added over half a second.
    assert metrics["NotificationDelay"]["max"] == pytest.approx(515.0, abs=0.1)


def test_a_shorter_interval_wastes_more_polls_and_adds_less_delay() -> None:
    slow = polling({"interval_s": 1, "until": UNTIL_DONE}).component("Caller")
    fast = polling({"interval_s": 0.25, "until": UNTIL_DONE}).component("Caller")
    # Polls 0.255 s apart: the one leaving at 2.295 s is too early, the one at 2.550 s sees it.
    assert fast["Polls"] == 11 and fast["WastedPolls"] == 10 > slow["WastedPolls"]
    assert fast["NotificationDelay"]["max"] == pytest.approx(50.0, abs=0.1)
    assert fast["NotificationDelay"]["max"] < slow["NotificationDelay"]["max"]


def test_a_client_gives_up_after_max_polls_and_every_poll_was_wasted() -> None:
    result = polling({"interval_s": 1, "until": UNTIL_DONE, "max_polls": 3}, done_at=None)
    [segment] = result.named("Caller")
    assert len(segment.subsegments) == 3
    assert segment.annotations["polls"] == 3 and segment.annotations["poll"] == "gave_up"
    metrics = result.component("Caller")
    assert metrics["Polls"] == metrics["WastedPolls"] == 3 and metrics["PollsGivenUp"] == 1
    assert metrics["NotificationDelay"]["max"] == 0.0


def test_a_client_without_polling_connections_reports_no_metrics() -> None:
    result = run(client_calling(TABLE), send(), drain_s=1)
    assert result.component("Caller") == {}


@pytest.mark.parametrize(("poll", "where", "message"), [
    ({"interval_s": 0, "until": UNTIL_DONE}, "/interval_s", "interval_s must be above 0 and at most 3600 seconds"),
    ({"interval_s": 1}, "/until", "poll needs until"),
    ({"until": UNTIL_DONE, "max_polls": 0}, "/max_polls", "max_polls must be between 1 and 10000"),
    ({"until": {"Item": {"status": "done"}}}, "/until", "until is not a valid EventBridge event pattern"),
    ({"until": UNTIL_DONE, "every": 1}, "/every", "unknown poll key 'every'; valid: interval_s, until, max_polls"),
])
def test_a_bad_poll_is_refused_at_the_part_of_the_connection_property(poll: dict[str, Any], where: str,
                                                                      message: str) -> None:
    from emulator.problems import InvalidDocument
    from emulator.topology import load_topology

    document = topology([{"id": "Caller", "kind": "client"}, STATUS_TABLE],
                        [{"source": "Caller", "target": "Orders", "role": "request",
                          "properties": {"Operation": "GetItem", "poll": poll}}])
    with pytest.raises(InvalidDocument) as refused:
        load_topology(document)
    [problem] = refused.value.problems
    assert problem.pointer == "/connections/0/properties/poll" + where
    assert message in problem.message
