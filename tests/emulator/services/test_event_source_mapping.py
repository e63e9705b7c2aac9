"""Lambda's SQS event source mapping: scaling, batches and the batching window, batch item failures,
throttles, and what CreateEventSourceMapping refuses.

Numbers from shared/spec/semantics.md ("Event source mappings"); the rules are the module docstring's
(emulator/services/awslambda/event_source_mapping.py).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from emulator.problems import InvalidDocument
from emulator.services.awslambda.event_source_mapping import SqsPoller
from emulator.topology import check_topology, load_topology
from tests.emulator.scenario import Run, balanced, run, seconds, topology

AT_ONCE = 1_000_000  # messages per second: a source that sends its whole count in a few microseconds


def mapping(queue_properties: dict[str, Any] | None = None, function_properties: dict[str, Any] | None = None,
            function_behavior: dict[str, Any] | None = None, dead_letter_after: int | None = None,
            **mapping_properties: Any) -> dict[str, Any]:
    """A queue polled by a function (a fixed 100 ms handler, no INIT time unless told otherwise)."""
    components = [
        {"id": "Inbox", "kind": "sqs", "properties": queue_properties or {},
         "behavior": {"send_ms": 0, "duplicate_delivery_rate": 0}},
        {"id": "Worker", "kind": "lambda", "properties": function_properties or {},
         "behavior": {"duration_ms": 100, "cold_start_ms": 0, **(function_behavior or {})}},
    ]
    connections = [{"source": "Inbox", "target": "Worker", "role": "event_source", "properties": mapping_properties}]
    if dead_letter_after is not None:
        fifo = bool((queue_properties or {}).get("FifoQueue"))
        components.append({"id": "Failed", "kind": "sqs", "properties": {"FifoQueue": True} if fifo else {}})
        connections.append({"source": "Inbox", "target": "Failed", "role": "dead_letter",
                            "properties": {"maxReceiveCount": dead_letter_after}})
    return topology(components, connections)


def messages(count: int, per_second: float = AT_ONCE, start_s: float = 0, **extra: Any) -> dict[str, Any]:
    return {"target": "Inbox", "rate": {"per_second": per_second}, "count": count, "start_s": start_s,
            "payload": {"id": "$message_id"}, **extra}


def records(result: Run) -> list[Any]:
    """The function's record segments, in the order the messages were sent."""
    return sorted(result.named("Worker", "AWS::Lambda::Function"), key=lambda s: s.annotations["message_id"])


def batch_sizes(result: Run) -> list[int]:
    """The size of every batch the function was invoked with, smallest first."""
    segments_by_size = Counter(int(s.annotations.get("batch_size", 1))
                               for s in result.named("Worker", "AWS::Lambda::Function"))
    assert all(count % size == 0 for size, count in segments_by_size.items())
    return sorted(size for size, count in segments_by_size.items() for _ in range(count // size))


def first_batch(result: Run) -> list[Any]:
    segments = result.named("Worker", "AWS::Lambda::Function")
    first = min(s.start_time for s in segments)
    return sorted((s for s in segments if s.start_time == first), key=lambda s: s.annotations["message_id"])


def poller(result: Run) -> SqsPoller:
    [only] = result.sim.components["Worker"].pollers  # type: ignore[attr-defined]
    assert isinstance(only, SqsPoller)
    return only


def started_before(result: Run, time_s: float) -> int:
    return sum(1 for s in result.named("Worker", "AWS::Lambda::Function") if seconds(s.start_time) < time_s)


# Scaling ---------------------------------------------------------------------------------------------
LONG_RUNNING = {"function_properties": {"Timeout": 120}, "function_behavior": {"duration_ms": 100_000},
                "queue_properties": {"VisibilityTimeout": 720}}


def test_pollers_start_with_five_concurrent_batches() -> None:
    result = run(mapping(**LONG_RUNNING, BatchSize=1), [messages(100)], duration_s=1, drain_s=0.1)
    assert started_before(result, 0.1) == 5


def test_pollers_add_up_to_300_concurrent_batches_a_minute_while_messages_wait() -> None:
    result = run(mapping(**LONG_RUNNING, BatchSize=1), [messages(1000)], duration_s=1, drain_s=60)
    # One more batch every 0.2 s: 5 + 150 in the first half minute, 5 + 300 in the first minute
    # (give or take the batch due at the very boundary).
    assert started_before(result, 30) == pytest.approx(5 + 150, abs=2)
    assert started_before(result, 60) == pytest.approx(5 + 300, abs=2)
    assert started_before(result, 60) - started_before(result, 30) == pytest.approx(150, abs=1)
    assert result.component("Worker")["Throttles"] == 0


def test_scaling_config_maximum_concurrency_caps_concurrent_batches() -> None:
    result = run(mapping(**LONG_RUNNING, BatchSize=1, ScalingConfig={"MaximumConcurrency": 20}), [messages(100)],
                 duration_s=1, drain_s=60)
    assert poller(result).max_active == 20
    assert result.component("Worker")["ConcurrentExecutions"] == 20
    assert result.component("Worker")["Throttles"] == 0


def test_scaling_stops_at_1000_concurrent_batches() -> None:
    result = run(mapping(BatchSize=1), [messages(1)], duration_s=1)
    sqs_poller = poller(result)
    sqs_poller.scaling_since = 0.0
    assert sqs_poller.limit(60.0) == 305
    assert sqs_poller.limit(199.0) == 1000
    assert sqs_poller.limit(3600.0) == 1000


def test_the_function_concurrency_not_the_mapping_limits_a_function_with_reserved_concurrency() -> None:
    reserved = {**LONG_RUNNING, "function_properties": {"Timeout": 120, "ReservedConcurrentExecutions": 3}}
    result = run(mapping(**reserved, BatchSize=1), [messages(10)], duration_s=1, drain_s=30)
    assert result.component("Worker")["ConcurrentExecutions"] == 3
    assert result.component("Worker")["Throttles"] > 0


# Batches and the batching window ---------------------------------------------------------------------
QUICK = {"function_behavior": {"duration_ms": 10}}  # 100 records in a second, within the 3 s Timeout


def test_a_batch_holds_at_most_batch_size_messages_default_10() -> None:
    result = run(mapping(**QUICK, MaximumBatchingWindowInSeconds=1), [messages(25)])
    assert batch_sizes(result) == [5, 10, 10]
    assert poller(result).batches == 3
    assert result.summary["messages"]["completed"] == 25


def test_batches_above_10_are_gathered_with_a_window() -> None:
    result = run(mapping(**QUICK, BatchSize=100, MaximumBatchingWindowInSeconds=1), [messages(250)])
    assert batch_sizes(result) == [50, 100, 100]


def test_a_batch_waits_up_to_the_window_to_fill() -> None:
    # One message a second, batches of 10, a 5 s window: the first batch leaves at 5 s with what came.
    result = run(mapping(MaximumBatchingWindowInSeconds=5), [messages(20, per_second=1)], duration_s=20)
    first = first_batch(result)
    assert seconds(first[0].start_time) == pytest.approx(5.0)
    # The messages of 0 to 5 s: the one of 5 s arrives at the instant the window closes, just before.
    assert len(first) == 6
    assert first[0].annotations["batch_size"] == 6


def test_a_full_batch_does_not_wait_for_the_end_of_the_window() -> None:
    result = run(mapping(MaximumBatchingWindowInSeconds=20), [messages(40, per_second=10)], duration_s=4)
    first = first_batch(result)
    assert {s.annotations["batch_size"] for s in first} == {10}
    # Full at 0.9 s; the poller looks every tenth of the window (2 s), long before 20 s.
    assert seconds(first[0].start_time) <= 0.9 + 2.0


def test_without_a_window_each_poll_takes_what_is_visible() -> None:
    result = run(mapping(), [messages(5, per_second=1)], duration_s=5)
    assert batch_sizes(result) == [1, 1, 1, 1, 1]
    assert [seconds(s.start_time) for s in records(result)] == pytest.approx([0, 1, 2, 3, 4])


# Failures ---------------------------------------------------------------------------------------------
def poisoned_batch(**mapping_properties: Any) -> dict[str, Any]:
    """Ten messages in one batch, three of them poison (they fail in the function every time)."""
    return mapping(queue_properties={"VisibilityTimeout": 30}, dead_letter_after=2,
                   MaximumBatchingWindowInSeconds=1, **mapping_properties)


POISONED = [messages(7), messages(3, start_s=0.00001, poison_rate=1.0)]


def test_a_failed_batch_returns_whole_after_the_visibility_timeout() -> None:
    result = run(poisoned_batch(), POISONED)
    assert batch_sizes(result) == [10, 10]
    first = [s for s in records(result) if s.annotations["receive_count"] == 1]
    second = [s for s in records(result) if s.annotations["receive_count"] == 2]
    assert len(first) == len(second) == 10
    # The batch was received at 0.1 s (the window's first look) and comes back 30 s later.
    assert [seconds(s.start_time) for s in second] == [pytest.approx(30.1, abs=0.01)] * 10
    # Nothing was deleted: all ten reach the dead-letter queue after two receives.
    assert result.component("Inbox")["NumberOfMessagesDeleted"] == 0
    assert result.component("Failed")["ApproximateNumberOfMessagesVisible"] == 10
    assert balanced(result.summary)


def test_records_of_a_failed_batch_say_whether_they_were_handled_or_never_reached() -> None:
    result = run(poisoned_batch(), POISONED)
    first = [s for s in records(result) if s.annotations["receive_count"] == 1]
    # The handler takes the seven good records, then fails on the first poison one.
    assert [s.annotations["outcome"] for s in first] == ["batch_failed"] * 7 + ["error"] + ["not_processed"] * 2


def test_report_batch_item_failures_returns_only_the_failed_records() -> None:
    result = run(poisoned_batch(FunctionResponseTypes=["ReportBatchItemFailures"]), POISONED)
    assert batch_sizes(result) == [3, 10]
    first = [s for s in records(result) if s.annotations["receive_count"] == 1]
    second = [s for s in records(result) if s.annotations["receive_count"] == 2]
    # The handler goes on past a failed record, and reports the three poison ones.
    assert [s.annotations["outcome"] for s in first] == ["ok"] * 7 + ["error"] * 3
    assert [s.annotations["outcome"] for s in second] == ["error"] * 3
    assert result.component("Inbox")["NumberOfMessagesDeleted"] == 7
    assert result.component("Failed")["ApproximateNumberOfMessagesVisible"] == 3
    assert result.summary["messages"]["completed"] == 7
    assert result.summary["messages"]["dead_lettered"] == 3


def test_on_a_fifo_queue_batch_item_failures_report_the_failed_record_and_every_one_after_it() -> None:
    fifo = {"FifoQueue": True, "ContentBasedDeduplication": True, "VisibilityTimeout": 30}
    document = mapping(queue_properties=fifo, dead_letter_after=2, FunctionResponseTypes=["ReportBatchItemFailures"],
                       MaximumBatchingWindowInSeconds=1)
    sources = [messages(2, group_id="g"), messages(1, start_s=0.00001, group_id="g", poison_rate=1.0),
               messages(2, start_s=0.00002, group_id="g")]
    result = run(document, sources)
    first = [s for s in records(result) if s.annotations["receive_count"] == 1]
    assert [s.annotations["outcome"] for s in first] == ["ok", "ok", "error", "not_processed", "not_processed"]
    # The two handled are deleted; the other three come back together, in order, 30 s later.
    assert result.component("Inbox")["NumberOfMessagesDeleted"] == 2
    retried = [s for s in records(result) if s.annotations["receive_count"] == 2]
    assert [s.annotations["message_id"] for s in retried] == [s.annotations["message_id"] for s in first[2:]]
    assert [s.annotations["outcome"] for s in retried] == ["error", "not_processed", "not_processed"]
    assert result.component("Failed")["ApproximateNumberOfMessagesVisible"] == 3


# Throttled invocations -----------------------------------------------------------------------------------
def test_a_throttled_batch_is_retried_within_its_visibility_timeout_without_a_new_receive() -> None:
    document = mapping(queue_properties={"VisibilityTimeout": 30},
                       function_properties={"ReservedConcurrentExecutions": 1, "Timeout": 6},
                       function_behavior={"duration_ms": 5000}, BatchSize=1)
    result = run(document, [messages(3)])
    worker = result.component("Worker")
    assert worker["Throttles"] > 0
    assert worker["Invocations"] == 3
    # Each message was received once: the throttled batches waited and retried (1 s, 2 s, 4 s...).
    assert {s.annotations["receive_count"] for s in result.named("Worker")} == {1}
    assert result.component("Inbox")["NumberOfMessagesReceived"] == 3
    assert result.summary["messages"]["completed"] == 3


def test_a_batch_still_throttled_when_its_visibility_timeout_ends_is_received_again() -> None:
    document = mapping(queue_properties={"VisibilityTimeout": 6},
                       function_properties={"ReservedConcurrentExecutions": 1, "Timeout": 6},
                       function_behavior={"duration_ms": 5000}, BatchSize=1)
    result = run(document, [messages(2)])
    counts = sorted(s.annotations["receive_count"] for s in result.named("Worker"))
    assert counts == [1, 2]
    assert result.summary["messages"]["completed"] == 2


# What CreateEventSourceMapping refuses -------------------------------------------------------------------
def problems(document: dict[str, Any]) -> list[str]:
    return [f"{p.pointer}: {p.message}" for p in check_topology(document) if p.severity == "error"]


def test_a_function_timeout_longer_than_the_visibility_timeout_is_an_error() -> None:
    document = mapping(queue_properties={"VisibilityTimeout": 30}, function_properties={"Timeout": 60})
    [problem] = problems(document)
    assert problem.startswith("/components/0/properties/VisibilityTimeout")
    assert "make it at least 60 s" in problem and "360 s" in problem
    with pytest.raises(InvalidDocument):
        load_topology(document)


def test_a_visibility_timeout_equal_to_the_function_timeout_is_accepted() -> None:
    assert problems(mapping(queue_properties={"VisibilityTimeout": 60}, function_properties={"Timeout": 60})) == []


def test_a_batch_size_above_10_needs_a_batching_window() -> None:
    [problem] = problems(mapping(BatchSize=11))
    assert problem.startswith("/connections/0/properties/MaximumBatchingWindowInSeconds")
    assert problems(mapping(BatchSize=11, MaximumBatchingWindowInSeconds=1)) == []
    assert problems(mapping(BatchSize=10)) == []


def test_a_fifo_queue_takes_batches_of_at_most_10() -> None:
    fifo = {"FifoQueue": True, "ContentBasedDeduplication": True}
    [problem] = problems(mapping(queue_properties=fifo, BatchSize=11, MaximumBatchingWindowInSeconds=1))
    assert problem.startswith("/connections/0/properties/BatchSize")
    assert "at most 10" in problem
    assert problems(mapping(queue_properties=fifo, BatchSize=10)) == []


@pytest.mark.parametrize("scaling", [{"MaximumConcurrency": 1}, {"MaximumConcurrency": 1001},
                                     {"MaximumConcurrency": "5"}, {"Maximum": 5}])
def test_scaling_config_maximum_concurrency_must_be_2_to_1000(scaling: dict[str, Any]) -> None:
    [problem] = problems(mapping(ScalingConfig=scaling))
    assert problem.startswith("/connections/0/properties/ScalingConfig")


def test_batch_size_is_at_most_10000() -> None:
    assert any("BatchSize" in p for p in problems(mapping(BatchSize=10_001, MaximumBatchingWindowInSeconds=1)))
    assert problems(mapping(BatchSize=10_000, MaximumBatchingWindowInSeconds=1)) == []


# Event filtering (FilterCriteria) --------------------------------------------------------------------
def criteria(*patterns: Any) -> dict[str, Any]:
    return {"Filters": [{"Pattern": pattern if isinstance(pattern, str) else json.dumps(pattern)}
                        for pattern in patterns]}


def typed_messages(count: int, **extra: Any) -> dict[str, Any]:
    return messages(count, payload={"id": "$message_id", "type": {"$choice": ["order", "refund"]}}, **extra)


def test_only_messages_a_filter_matches_invoke_the_function_the_others_are_deleted() -> None:
    result = run(mapping(**QUICK, FilterCriteria=criteria({"body": {"type": ["order"]}})), [typed_messages(40)])
    handled = records(result)
    orders = {s.annotations["message_id"] for s in result.named("Inbox")
              if s.metadata and s.metadata["message"]["payload"]["type"] == "order"}
    assert 0 < len(orders) < 40
    assert {s.annotations["message_id"] for s in handled} == orders
    filtered = [s for s in result.segments if s.annotations.get("outcome") == "filtered_out"]
    assert len(filtered) == 40 - len(orders)
    assert all(s.origin == "AWS::Lambda" for s in filtered)
    assert result.summary["messages"]["completed"] == 40
    worker = result.component("Worker")
    assert worker["PolledEventCount"] == 40
    assert worker["FilteredOutEventCount"] == 40 - len(orders)
    assert balanced(result.summary)


def test_a_message_is_sent_when_any_of_the_filters_matches() -> None:
    result = run(mapping(**QUICK, FilterCriteria=criteria({"body": {"type": ["order"]}},
                                                          {"body": {"type": ["refund"]}})), [typed_messages(20)])
    assert len(records(result)) == 20
    assert result.component("Worker")["FilteredOutEventCount"] == 0


def test_a_batch_holds_only_matching_messages_and_a_batch_with_none_invokes_nothing() -> None:
    result = run(mapping(**QUICK, FilterCriteria=criteria({"body": {"type": ["nothing-like-this"]}})),
                 [typed_messages(25)])
    assert result.component("Worker")["Invocations"] == 0
    assert poller(result).batches == 0
    assert result.summary["messages"]["completed"] == 25
    assert balanced(result.summary)


def test_a_pattern_on_body_fields_does_not_match_a_plain_text_body_but_a_pattern_on_the_text_does() -> None:
    fields = run(mapping(**QUICK, FilterCriteria=criteria({"body": {"type": ["order"]}})),
                 [messages(5, payload="type order")])
    assert fields.component("Worker")["Invocations"] == 0
    assert fields.component("Worker")["FilteredOutEventCount"] == 5
    text = run(mapping(**QUICK, FilterCriteria=criteria({"body": [{"prefix": "type "}]})),
               [messages(5, payload="type order")])
    assert len(records(text)) == 5


def test_filters_match_message_attributes_and_the_receive_count() -> None:
    by_attribute = criteria({"messageAttributes": {"tenant": {"stringValue": ["acme"]}}})
    result = run(mapping(**QUICK, FilterCriteria=by_attribute), [messages(5, attributes={"tenant": "acme"}),
                                                                 messages(5, attributes={"tenant": "other"})])
    assert len(records(result)) == 5
    first_receive = criteria({"attributes": {"ApproximateReceiveCount": ["1"]}})
    assert len(records(run(mapping(**QUICK, FilterCriteria=first_receive), [messages(5)]))) == 5


def test_a_filtered_out_message_ends_its_one_trace_with_a_lambda_segment_saying_so() -> None:
    result = run(mapping(**QUICK, FilterCriteria=criteria({"body": {"type": ["none"]}})), [typed_messages(1)])
    [filtered] = [s for s in result.segments if s.annotations.get("outcome") == "filtered_out"]
    mine = [s for s in result.segments if s.annotations.get("message_id") == filtered.annotations["message_id"]]
    assert {s.trace_id for s in mine} == {filtered.trace_id}
    [received] = [s for s in mine if s.id == filtered.parent_id]
    assert received.name == "Inbox" and received.annotations["outcome"] == "received"
    assert result.summary["messages"]["completed"] == 1


def test_without_filter_criteria_no_event_count_metrics_are_reported() -> None:
    worker = run(mapping(**QUICK), [messages(5)]).component("Worker")
    assert "PolledEventCount" not in worker and "FilteredOutEventCount" not in worker


@pytest.mark.parametrize(("criteria_value", "where", "says"), [
    (criteria(*[{"body": {"n": [n]}} for n in range(6)]), "/FilterCriteria/Filters", "at most 5"),
    ({"Filters": [{"Pattern": {"body": {"type": ["order"]}}}]}, "/FilterCriteria/Filters/0/Pattern", "string"),
    (criteria({"body": {"type": ["order"]}}, "{not json"), "/FilterCriteria/Filters/1/Pattern", "not JSON"),
    (criteria({"body": {"type": "order"}}), "/FilterCriteria/Filters/0/Pattern", "not a valid filter pattern"),
    (criteria({"body": {"n": [{"numeric": [">", "x"]}]}}), "/FilterCriteria/Filters/0/Pattern",
     "not a valid filter pattern"),
    ({"Filters": [{"Pattern": '{"body": {"n": [1]}}', "Extra": 1}]}, "/FilterCriteria/Filters/0/Extra",
     "unknown filter key"),
    ({"Filters": [{}]}, "/FilterCriteria/Filters/0/Pattern", "filter needs Pattern"),
    ({"Filters": {"Pattern": "{}"}}, "/FilterCriteria/Filters", "must be an array"),
])
def test_filter_criteria_lambda_would_refuse_are_errors_at_their_pointer(criteria_value: Any, where: str,
                                                                          says: str) -> None:
    [problem] = problems(mapping(FilterCriteria=criteria_value))
    assert problem.startswith(f"/connections/0/properties{where}: ")
    assert says in problem
    with pytest.raises(InvalidDocument):
        load_topology(mapping(FilterCriteria=criteria_value))


def test_five_filters_and_an_empty_filter_criteria_are_accepted() -> None:
    assert problems(mapping(FilterCriteria=criteria(*[{"body": {"n": [n]}} for n in range(5)]))) == []
    assert problems(mapping(FilterCriteria={"Filters": []})) == []
