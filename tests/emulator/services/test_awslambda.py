"""Lambda: invocations, concurrency, cold starts, timeouts, async retries and destinations."""

from __future__ import annotations

import itertools
import sys

import pytest

from emulator.problems import InvalidDocument
from emulator.topology import load_topology
from tests.emulator.scenario import balanced, run, seconds, topology


def one_function(properties: dict | None = None, behavior: dict | None = None, role: str = "request") -> dict:
    return topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda", "properties": properties or {}, "behavior": behavior or {}}],
        [{"source": "Caller", "target": "Worker", "role": role}],
    )


def steady(per_second: float = 10, count: int | None = None, **extra: object) -> list[dict]:
    source: dict = {"target": "Caller", "rate": {"per_second": per_second}, **extra}
    if count is not None:
        source["count"] = count
    return [source]


def test_synchronous_invocation_answers_the_caller_and_counts_an_invocation() -> None:
    result = run(one_function(), steady(count=5))
    assert result.component("Worker")["Invocations"] == 5
    assert result.summary["messages"]["completed"] == 5
    assert [s.annotations["outcome"] for s in result.named("Worker")] == ["ok"] * 5


def test_reserved_concurrency_zero_throttles_every_invocation() -> None:
    result = run(one_function({"ReservedConcurrentExecutions": 0}), steady(count=4))
    worker = result.component("Worker")
    assert worker["Invocations"] == 0
    assert worker["Throttles"] == 4
    assert result.summary["messages"]["rejected"] == 4
    callers = result.named("Caller")
    assert all(s.throttle and s.error for s in callers)
    assert all(s.subsegments[0].cause["exceptions"][0]["type"] == "TooManyRequestsException" for s in callers)


def test_reserved_concurrency_caps_concurrent_executions_and_throttles_the_rest() -> None:
    result = run(one_function({"ReservedConcurrentExecutions": 2}, {"duration_ms": 1000}), steady(50, count=20))
    worker = result.component("Worker")
    assert worker["ConcurrentExecutions"] == 2
    assert worker["Throttles"] > 0
    assert worker["Invocations"] + worker["Throttles"] == 20


def test_first_invocation_is_a_cold_start_and_the_next_reuses_the_warm_environment() -> None:
    result = run(one_function(behavior={"duration_ms": 10, "cold_start_ms": 300}), steady(1, count=3))
    segments = result.named("Worker")
    assert [s.annotations["cold_start"] for s in segments] == [True, False, False]
    init = segments[0].subsegments[0]
    assert init.name == "Initialization"
    assert seconds(init.end_time) - seconds(init.start_time) == pytest.approx(0.3)


def test_an_environment_idle_longer_than_the_idle_timeout_starts_cold_again() -> None:
    result = run(one_function(behavior={"duration_ms": 10, "idle_timeout_s": 30}), steady(1 / 60, count=2),
                 duration_s=200)
    assert [s.annotations["cold_start"] for s in result.named("Worker")] == [True, True]


def test_provisioned_concurrency_has_no_cold_starts() -> None:
    result = run(one_function({"ProvisionedConcurrency": 2}), steady(1, count=3))
    assert result.component("Worker")["ColdStarts"] == 0


def test_invocation_longer_than_timeout_fails_with_sandbox_timedout_at_the_timeout() -> None:
    result = run(one_function({"Timeout": 2}, {"duration_ms": 5000, "cold_start_ms": 0}), steady(count=1))
    segment = result.named("Worker")[0]
    assert segment.annotations["outcome"] == "timeout"
    assert segment.fault
    assert segment.cause["exceptions"][0]["type"] == "Sandbox.Timedout"
    assert seconds(segment.end_time) - seconds(segment.start_time) == pytest.approx(2.0)
    assert result.component("Worker")["Errors"] == 1
    assert result.summary["messages"]["rejected"] == 1


def test_async_function_errors_are_retried_twice_one_then_two_minutes_later() -> None:
    result = run(one_function(behavior={"error_rate": 1.0}, role="event"), steady(count=1))
    attempts = result.named("Worker", "AWS::Lambda::Function")
    assert [s.annotations["attempt"] for s in attempts] == [1, 2, 3]
    gaps = [seconds(b.start_time) - seconds(a.end_time) for a, b in itertools.pairwise(attempts)]
    assert gaps == [pytest.approx(60.0, abs=0.01), pytest.approx(120.0, abs=0.01)]
    # No destination and no DLQ: the event is lost.
    assert result.summary["messages"]["lost"] == 1
    assert balanced(result.summary)


def test_the_summary_places_an_async_event_waiting_for_its_retry() -> None:
    result = run(one_function(behavior={"error_rate": 1.0}, role="event"), steady(count=1), duration_s=1,
                 drain_s=30)
    assert result.summary["in_flight_at_end"] == {"copies": 1, "by_component": {"Worker": {"waiting_for_retry": 1}}}
    assert result.summary["virtual_seconds"] == 31.0


def test_maximum_retry_attempts_zero_means_a_single_attempt() -> None:
    result = run(one_function({"MaximumRetryAttempts": 0}, {"error_rate": 1.0}, role="event"), steady(count=1))
    assert len(result.named("Worker", "AWS::Lambda::Function")) == 1


def test_event_older_than_maximum_event_age_is_dropped_with_event_age_exceeded() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda", "properties": {"MaximumEventAgeInSeconds": 60},
          "behavior": {"error_rate": 1.0}},
         {"id": "Failures", "kind": "lambda"}],
        [{"source": "Caller", "target": "Worker", "role": "event"},
         {"source": "Worker", "target": "Failures", "role": "on_failure"}],
    )
    result = run(document, steady(count=1))
    assert len(result.named("Worker", "AWS::Lambda::Function")) == 1
    record = result.named("Worker", "AWS::Lambda")[0].metadata["lambda"]["record"]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


def test_an_event_waiting_for_its_retry_is_discarded_when_it_reaches_maximum_event_age() -> None:
    # Retries come 60 s and then 120 s after a failure; an event may only be 90 s old: it is lost at
    # 90 s, within a run whose deadline (151 s) comes before the second retry would have.
    result = run(one_function({"MaximumEventAgeInSeconds": 90}, {"error_rate": 1.0}, role="event"),
                 steady(count=1), duration_s=1, drain_s=150)
    attempts = result.named("Worker", "AWS::Lambda::Function")
    assert [s.annotations["attempt"] for s in attempts] == [1, 2]
    enqueued = seconds(attempts[0].start_time)
    assert result.summary["messages"]["lost"] == 1 and result.summary["messages"]["in_flight"] == 0
    assert result.summary["virtual_seconds"] == pytest.approx(enqueued + 90.0, abs=0.002)
    assert result.component("Worker")["AsyncEventsDropped"] == 1


def test_failed_async_event_reaches_the_on_failure_destination_with_its_invocation_record() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda", "behavior": {"error_rate": 1.0}},
         {"id": "Failures", "kind": "lambda"}],
        [{"source": "Caller", "target": "Worker", "role": "event"},
         {"source": "Worker", "target": "Failures", "role": "on_failure"}],
    )
    result = run(document, steady(count=1, payload={"order": 7}))
    delivery = result.named("Worker", "AWS::Lambda")[0]
    record = delivery.metadata["lambda"]["record"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": 7}
    assert record["responsePayload"]["errorType"] == "Error"
    # The destination function runs on the record, in the same trace.
    failures = result.named("Failures")
    assert len(failures) == 1 and failures[0].trace_id == delivery.trace_id
    assert result.summary["messages"]["dead_lettered"] == 1
    assert balanced(result.summary)


def test_successful_async_event_reaches_the_on_success_destination() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda"},
         {"id": "Audit", "kind": "lambda"}],
        [{"source": "Caller", "target": "Worker", "role": "event"},
         {"source": "Worker", "target": "Audit", "role": "on_success"}],
    )
    result = run(document, steady(count=2))
    records = [s.metadata["lambda"]["record"] for s in result.named("Worker", "AWS::Lambda")]
    assert [r["requestContext"]["condition"] for r in records] == ["Success", "Success"]
    assert len(result.named("Audit")) == 2
    assert result.summary["messages"]["completed"] == 2


def test_throttled_async_events_are_retried_with_backoff_without_using_attempts() -> None:
    result = run(one_function({"ReservedConcurrentExecutions": 0, "MaximumEventAgeInSeconds": 120},
                              role="event"), steady(count=1))
    worker = result.component("Worker")
    assert worker["Invocations"] == 0
    assert worker["Throttles"] >= 5  # backoff from 1 s doubling, for two minutes
    assert result.summary["messages"]["lost"] == 1


def test_outgoing_calls_follow_connection_order_and_when_patterns() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Router", "kind": "lambda"},
         {"id": "Orders", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"}},
         {"id": "Refunds", "kind": "lambda"}, {"id": "Shipping", "kind": "lambda"}],
        [{"source": "Caller", "target": "Router", "role": "request"},
         {"source": "Router", "target": "Orders", "role": "request"},
         {"source": "Router", "target": "Refunds", "role": "request",
          "properties": {"when": {"type": ["refund"]}}},
         {"source": "Router", "target": "Shipping", "role": "request",
          "properties": {"when": {"type": ["order"]}}}],
    )
    result = run(document, steady(count=4, payload={"type": {"$choice": ["refund", "order"]}}))
    for segment in result.named("Router"):
        names = [s.name for s in segment.subsegments if s.name != "Initialization"]
        assert names[0] == "Orders" and len(names) == 2 and names[1] in ("Refunds", "Shipping")
    assert len(result.named("Refunds")) + len(result.named("Shipping")) == 4


def test_a_failed_call_fails_the_invocation() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Worker", "kind": "lambda"},
         {"id": "Orders", "kind": "dynamodb"}],
        [{"source": "Caller", "target": "Worker", "role": "request"},
         {"source": "Worker", "target": "Orders", "role": "request"}],
    )
    result = run(document, steady(count=3), faults=[{"component": "Orders", "kind": "unavailable",
                                                     "from_s": 0, "to_s": 100}])
    assert result.component("Worker")["Errors"] == 3
    subsegment = result.named("Worker")[0].subsegments[-1]
    assert subsegment.fault and subsegment.aws["retries"] == 2  # the SDK tried three times


def test_poison_messages_fail_in_the_function() -> None:
    result = run(one_function(), steady(count=20, poison_rate=1.0))
    assert result.component("Worker")["Errors"] == 20


def test_cost_counts_requests_and_gigabyte_seconds() -> None:
    result = run(one_function({"MemorySize": 1024}, {"duration_ms": 1000, "cold_start_ms": 0}), steady(count=10))
    # 10 requests at $0.20/M plus 10 s at 1 GB at $0.0000166667/GB-s.
    expected = 10 * 0.20 / 1_000_000 + 10 * 1.0 * 0.0000166667
    assert result.summary["cost_usd"]["by_component"]["Worker"] == pytest.approx(expected, rel=1e-3)


def test_reserving_more_than_900_of_the_account_concurrency_is_an_error() -> None:
    document = topology([
        {"id": "A", "kind": "lambda", "properties": {"ReservedConcurrentExecutions": 600}},
        {"id": "B", "kind": "lambda", "properties": {"ReservedConcurrentExecutions": 400}},
    ])
    with pytest.raises(InvalidDocument) as error:
        load_topology(document)
    assert "at most 900 can be reserved" in str(error.value)


# Scaling, the account's concurrency, the dead-letter queue of asynchronous events -----------------
AT_ONCE = 1_000_000  # invocations per second: a source that sends its whole count in a few milliseconds


def test_a_function_adds_at_most_1000_execution_environments_every_10_seconds() -> None:
    # No environment is ever reused (reclaimed as soon as it is idle), so each invocation needs a new
    # one: 200 a second make 1,000 in the first 5 s, then throttle until the first ones are 10 s old.
    result = run(one_function(behavior={"duration_ms": 7, "cold_start_ms": 0, "idle_timeout_s": 0}),
                 steady(200), duration_s=12)
    worker = result.component("Worker")
    # 1,000 in [0, 5) s; then, from 10 s, one for each made 10 s before (give or take the one at the
    # boundary, where the sums of 5 ms steps round).
    assert worker["ColdStarts"] == pytest.approx(1000 + 400, abs=1)
    assert worker["Throttles"] == pytest.approx(1000, abs=1)  # every invocation of [5, 10) s
    assert worker["ColdStarts"] + worker["Throttles"] == 2400
    assert worker["ConcurrentExecutions"] <= 3
    throttled = [seconds(s.start_time) for s in result.named("Caller") if s.throttle]
    assert min(throttled) == pytest.approx(5.0, abs=1e-3) and max(throttled) < 10.0 + 0.011


def test_functions_without_reserved_concurrency_share_the_accounts_1000() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Caller2", "kind": "client"},
         {"id": "First", "kind": "lambda", "behavior": {"duration_ms": 5000, "cold_start_ms": 0}},
         {"id": "Second", "kind": "lambda", "behavior": {"duration_ms": 5000, "cold_start_ms": 0}}],
        [{"source": "Caller", "target": "First", "role": "request"},
         {"source": "Caller2", "target": "Second", "role": "request"}],
    )
    result = run(document, [{"target": "Caller", "rate": {"per_second": AT_ONCE}, "count": 700},
                            {"target": "Caller2", "rate": {"per_second": AT_ONCE}, "count": 700, "start_s": 1}])
    first, second = result.component("First"), result.component("Second")
    assert (first["ConcurrentExecutions"], first["Throttles"]) == (700, 0)
    assert (second["ConcurrentExecutions"], second["Throttles"]) == (300, 400)


def test_reserved_concurrency_is_taken_from_what_the_other_functions_share() -> None:
    document = topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": 5000, "cold_start_ms": 0}},
         {"id": "Reserved", "kind": "lambda", "properties": {"ReservedConcurrentExecutions": 250}}],
        [{"source": "Caller", "target": "Worker", "role": "request"}],
    )
    result = run(document, [{"target": "Caller", "rate": {"per_second": AT_ONCE}, "count": 1000}])
    worker = result.component("Worker")
    # Reserved has no traffic, but its 250 are kept for it: Worker gets 1,000 - 250.
    assert (worker["ConcurrentExecutions"], worker["Throttles"]) == (750, 250)


def dead_letter_queue_topology(behavior: dict | None = None) -> dict:
    return topology(
        [{"id": "Caller", "kind": "client"},
         {"id": "Worker", "kind": "lambda", "behavior": behavior or {"error_rate": 1.0}},
         {"id": "WorkerDLQ", "kind": "sqs", "behavior": {"send_ms": 0}}],
        [{"source": "Caller", "target": "Worker", "role": "event"},
         {"source": "Worker", "target": "WorkerDLQ", "role": "dead_letter"}],
    )


def test_an_async_event_that_fails_every_retry_goes_to_the_dead_letter_queue_as_it_was_sent() -> None:
    result = run(dead_letter_queue_topology(), steady(count=1, payload={"order": 7}))
    attempts = result.named("Worker", "AWS::Lambda::Function")
    assert [s.annotations["outcome"] for s in attempts] == ["error"] * 3
    [delivery] = result.named("Worker", "AWS::Lambda")
    assert delivery.annotations["outcome"] == "dead_letter" and delivery.annotations["attempt"] == 3
    # The dead letter is the event itself (not an invocation record), sent after the last attempt.
    assert delivery.metadata["lambda"] == {"destination": "WorkerDLQ", "record": {"order": 7}}
    assert seconds(delivery.start_time) == pytest.approx(seconds(attempts[-1].end_time))
    assert [s.name for s in delivery.subsegments] == ["WorkerDLQ"]
    assert result.component("WorkerDLQ")["NumberOfMessagesSent"] == 1
    assert result.component("Worker")["DeadLetterErrors"] == 0
    assert result.summary["messages"]["dead_lettered"] == 1
    assert balanced(result.summary)


def test_a_successful_async_event_never_reaches_the_dead_letter_queue() -> None:
    result = run(dead_letter_queue_topology({"error_rate": 0.0}), steady(count=3))
    assert result.component("WorkerDLQ")["NumberOfMessagesSent"] == 0
    assert result.named("Worker", "AWS::Lambda") == []
    assert result.summary["messages"]["completed"] == 3


def test_a_dead_letter_queue_that_refuses_the_event_counts_a_dead_letter_error_and_loses_it() -> None:
    result = run(dead_letter_queue_topology(), steady(count=1),
                 faults=[{"component": "WorkerDLQ", "kind": "unavailable", "from_s": 0, "to_s": 1000}])
    assert result.component("Worker")["DeadLetterErrors"] == 1
    [delivery] = result.named("Worker", "AWS::Lambda")
    assert delivery.annotations["outcome"] == "dead_letter_failed"
    assert result.summary["messages"]["lost"] == 1
    assert balanced(result.summary)


def test_a_thousand_nested_synchronous_calls_unwind_when_the_account_throttles_the_next() -> None:
    # Found by the property tests: the throttle's answer went back up the chain of waiting callers
    # (a function calling itself through a circuit breaker) as nested Python calls, and the run ended
    # with a RecursionError.
    document = one_function(behavior={"duration_ms": 0, "cold_start_ms": 0})
    document["components"].append({"id": "Breaker", "kind": "circuitbreaker",
                                   "behavior": {"state_ms": 0, "failure_threshold": 1000}})
    document["connections"] += [{"source": "Worker", "target": "Breaker", "role": "request"},
                                {"source": "Breaker", "target": "Worker", "role": "request"}]
    # The unwinding must not need a stack as deep as the chain (jsonata raised the limit to 10,000 at
    # import, which this chain only just fits in): 3,000 frames are enough for any length.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(3000)
    try:
        result = run(document, steady(count=1), duration_s=1, drain_s=60)
    finally:
        sys.setrecursionlimit(limit)
    worker = result.component("Worker")
    assert (worker["Invocations"], worker["Errors"], worker["Throttles"]) == (1000, 1000, 3)
    assert result.summary["messages"]["rejected"] == 1
    assert {s.end_time for s in result.named("Worker")} == {result.named("Worker")[0].end_time}
