"""Lambda's recursive loop detection: the same event stopped after 16 invocations of a function.

The rules are emulator/services/awslambda/recursion.py's docstring. A loop is a function that sends
the event it was invoked with back to what invokes it: an SQS queue it polls, an SNS topic it is
subscribed to.
"""

from __future__ import annotations

from typing import Any

from emulator.services.awslambda.recursion import RECURSION_LIMIT
from tests.emulator.scenario import Run, balanced, run, topology

FUNCTION = {"duration_ms": 10, "cold_start_ms": 0}


def sqs_loop(recursive_loop: str = "Terminate", *, dead_letter: bool = True) -> dict[str, Any]:
    components = [{"id": "Jobs", "kind": "sqs", "properties": {"VisibilityTimeout": 5}},
                  {"id": "Worker", "kind": "lambda", "properties": {"RecursiveLoop": recursive_loop},
                   "behavior": FUNCTION}]
    connections = [{"source": "Jobs", "target": "Worker", "role": "event_source", "properties": {"BatchSize": 1}},
                   {"source": "Worker", "target": "Jobs", "role": "request"}]
    if dead_letter:
        components.append({"id": "JobsDLQ", "kind": "sqs"})
        connections.append({"source": "Jobs", "target": "JobsDLQ", "role": "dead_letter",
                            "properties": {"maxReceiveCount": 3}})
    return topology(components, connections)


def sns_loop(*, destination: bool = True) -> dict[str, Any]:
    components = [{"id": "Events", "kind": "sns"},
                  {"id": "Handler", "kind": "lambda", "behavior": FUNCTION}]
    connections = [{"source": "Events", "target": "Handler", "role": "subscription"},
                   {"source": "Handler", "target": "Events", "role": "request"}]
    if destination:
        components.append({"id": "Failed", "kind": "sqs"})
        connections.append({"source": "Handler", "target": "Failed", "role": "on_failure"})
    return topology(components, connections)


def one(target: str) -> list[dict[str, Any]]:
    return [{"target": target, "rate": {"per_second": 1}, "count": 1, "payload": {"job": 1}}]


def ran(result: Run, function: str) -> list[Any]:
    return [s for s in result.named(function, "AWS::Lambda::Function")]


def stopped(result: Run, function: str) -> list[Any]:
    return [s for s in result.named(function, "AWS::Lambda") if s.annotations["outcome"] == "recursive_loop_stopped"]


def test_an_sqs_loop_runs_the_function_16_times_then_lambda_stops_the_event() -> None:
    result = run(sqs_loop(), one("Jobs"), drain_s=300)
    assert len(ran(result, "Worker")) == RECURSION_LIMIT == 16
    assert result.component("Worker")["Invocations"] == 16
    assert result.component("Worker")["RecursiveInvocationsDropped"] >= 1


def test_a_stopped_sqs_message_stays_in_the_queue_and_its_redrive_moves_it_to_the_dlq() -> None:
    result = run(sqs_loop(), one("Jobs"), drain_s=300)
    # Stopped at each of its 3 receives (maxReceiveCount), then moved to the dead-letter queue.
    assert len(stopped(result, "Worker")) == 3 == result.component("Worker")["RecursiveInvocationsDropped"]
    assert result.component("Jobs")["MessagesMovedToDeadLetterQueue"] == 1
    assert result.component("JobsDLQ")["ApproximateNumberOfMessagesVisible"] == 1
    assert result.summary["messages"]["dead_lettered"] == 1 and balanced(result.summary)


def test_the_stop_is_a_segment_in_the_message_trace_with_the_recursive_invocation_error() -> None:
    result = run(sqs_loop(), one("Jobs"), drain_s=300)
    first = stopped(result, "Worker")[0]
    assert first.trace_id == ran(result, "Worker")[0].trace_id
    assert first.error and first.cause["exceptions"][0]["type"] == "RecursiveInvocationException"  # type: ignore[index]
    assert first.annotations["invocations"] == 16


def test_with_recursive_loop_allow_the_loop_goes_on() -> None:
    result = run(sqs_loop("Allow"), one("Jobs"), duration_s=1, drain_s=30)
    assert len(ran(result, "Worker")) > 16
    assert "RecursiveInvocationsDropped" not in result.component("Worker")
    assert stopped(result, "Worker") == []


def test_an_sns_loop_is_stopped_after_16_invocations_and_sent_to_the_on_failure_destination() -> None:
    result = run(sns_loop(), one("Events"), drain_s=300)
    assert len(ran(result, "Handler")) == 16
    assert len(stopped(result, "Handler")) == 1
    assert result.component("Failed")["NumberOfMessagesSent"] == 1
    record = next(s for s in result.named("Handler", "AWS::Lambda") if s.annotations["outcome"] == "on_failure")
    assert record.metadata["lambda"]["record"]["requestContext"]["condition"] == (  # type: ignore[index]
        "RecursiveInvocationException")
    assert result.summary["messages"]["dead_lettered"] == 1 and balanced(result.summary)


def test_without_a_destination_the_stopped_event_is_lost() -> None:
    result = run(sns_loop(destination=False), one("Events"), drain_s=300)
    assert result.summary["messages"]["lost"] == 1 and balanced(result.summary)


def test_each_message_is_counted_on_its_own() -> None:
    result = run(sqs_loop(dead_letter=False), [{"target": "Jobs", "rate": {"per_second": 10}, "count": 3,
                                                 "payload": {"job": "$seq"}}], duration_s=1, drain_s=30)
    per_message: dict[str, int] = {}
    for segment in ran(result, "Worker"):
        per_message[segment.annotations["message_id"]] = per_message.get(segment.annotations["message_id"], 0) + 1
    assert sorted(per_message.values()) == [16, 16, 16]


def test_a_function_outside_any_loop_is_never_stopped_and_reports_no_recursion_metric() -> None:
    document = topology([{"id": "Jobs", "kind": "sqs"}, {"id": "Worker", "kind": "lambda", "behavior": FUNCTION}],
                        [{"source": "Jobs", "target": "Worker", "role": "event_source"}])
    result = run(document, [{"target": "Jobs", "rate": {"per_second": 10}, "count": 20, "payload": {"n": 1}}])
    assert result.component("Worker")["Invocations"] >= 1
    assert "RecursiveInvocationsDropped" not in result.component("Worker")
