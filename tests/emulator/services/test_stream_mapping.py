"""The stream event source mapping: per-shard batches, retries that block the shard, bisect,
partial batch responses, OnFailure batch records, record age, parallelization, IteratorAge."""

from __future__ import annotations

import itertools
from typing import Any

from tests.emulator.scenario import Run, balanced, run, seconds, topology

FUNCTION = "AWS::Lambda::Function"


def kinesis_to_worker(mapping: dict[str, Any] | None = None, *, shards: int = 1, failures: bool = False,
                      **behavior: Any) -> dict[str, Any]:
    components: list[dict[str, Any]] = [
        {"id": "Stream", "kind": "kinesis", "properties": {"ShardCount": shards}, "behavior": {"latency_ms": 10}},
        {"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": 5, "cold_start_ms": 0, **behavior}},
    ]
    properties = dict(mapping or {})
    if failures:
        components.append({"id": "Failures", "kind": "sqs"})
        properties["DestinationConfig"] = {"OnFailure": {"Destination": "Failures"}}
    return topology(components, [{"source": "Stream", "target": "Worker", "role": "event_source",
                                  "properties": properties}])


def records_with_one_poison(count: int, poison_at_s: float, key: str = "k") -> list[dict[str, Any]]:
    """``count`` good records a tenth of a second apart, and one poison record at ``poison_at_s``."""
    return [{"target": "Stream", "rate": {"per_second": 10}, "count": count, "payload": {"n": "$seq"},
             "attributes": {"partition_key": key}},
            {"target": "Stream", "rate": {"per_second": 10}, "count": 1, "start_s": poison_at_s,
             "poison_rate": 1.0, "payload": {"poison": True}, "attributes": {"partition_key": key}}]


def invocations_of(result: Run, message_id: str) -> list[Any]:
    return sorted((s for s in result.named("Worker", FUNCTION) if s.annotations["message_id"] == message_id),
                  key=lambda s: s.start_time)


def poison_id(result: Run) -> str:
    return next(str(s.annotations["message_id"]) for s in result.named("Stream")
                if s.metadata and s.metadata["message"]["payload"] == {"poison": True})


def failure_records(result: Run) -> list[dict[str, Any]]:
    return [s.metadata["lambda"]["record"] for s in result.named("Worker", "AWS::Lambda") if s.metadata]


def test_batches_hold_up_to_batch_size_records_default_100() -> None:
    result = run(kinesis_to_worker({"MaximumBatchingWindowInSeconds": 1}),
                 [{"target": "Stream", "rate": {"per_second": 1_000_000}, "count": 250}], duration_s=1, drain_s=30)
    sizes = sorted({int(s.annotations.get("batch_size", 1)) for s in result.named("Worker")})
    assert sizes == [50, 100]
    assert result.component("Worker")["Invocations"] == 3


def test_a_shard_is_polled_once_a_second() -> None:
    result = run(kinesis_to_worker(), [{"target": "Stream", "rate": {"per_second": 2}, "count": 2}],
                 duration_s=2, drain_s=30)
    starts = sorted(seconds(s.start_time) for s in result.named("Worker"))
    # Written at 0 and 0.5 s: the first poll finds the first, the next poll a second later the other.
    assert starts[0] < 0.1
    assert 1.0 <= starts[1] < 1.1


def test_a_failing_batch_blocks_its_shard_until_its_retries_are_spent() -> None:
    result = run(kinesis_to_worker({"BatchSize": 1, "MaximumRetryAttempts": 3}),
                 records_with_one_poison(5, 0.05), duration_s=1, drain_s=60)
    poison = invocations_of(result, poison_id(result))
    # The first attempt and three retries, a poll interval apart.
    assert [s.annotations["attempt"] for s in poison] == [1, 2, 3, 4]
    gaps = [seconds(b.start_time) - seconds(a.start_time) for a, b in itertools.pairwise(poison)]
    assert all(gap >= 1.0 for gap in gaps)
    # Records behind the poison one in the shard wait until it is given up on.
    behind = [s for s in result.named("Worker") if s.annotations["message_id"] not in ("msg-000001",)
              and s.annotations["message_id"] != poison_id(result) and seconds(s.start_time) > 0.06]
    assert behind and all(seconds(s.start_time) >= seconds(poison[-1].end_time) for s in behind)
    assert result.summary["messages"]["lost"] == 1  # no OnFailure destination: the record is skipped
    assert balanced(result.summary)


def test_retries_until_the_records_expire_by_default() -> None:
    result = run(kinesis_to_worker({"BatchSize": 1}), records_with_one_poison(2, 0.05), duration_s=1,
                 drain_s=120)
    poison = invocations_of(result, poison_id(result))
    assert len(poison) > 100
    assert result.summary["messages"]["in_flight"] == 2  # the poison record and the one behind it


def test_bisect_isolates_the_bad_record_and_the_rest_of_the_batch_proceeds() -> None:
    mapping = {"BatchSize": 8, "BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 2,
               "MaximumBatchingWindowInSeconds": 1}
    result = run(kinesis_to_worker(mapping, failures=True), records_with_one_poison(7, 0.3), duration_s=1,
                 drain_s=60)
    poison = invocations_of(result, poison_id(result))
    # Batches of 8, 4, 2 and 1 with it (splits are not retries), then 2 retries of it alone.
    assert [int(s.annotations.get("batch_size", 1)) for s in poison] == [8, 4, 2, 1, 1, 1]
    records = failure_records(result)
    assert len(records) == 1
    info = records[0]["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert records[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    messages = result.summary["messages"]
    assert (messages["completed"], messages["dead_lettered"]) == (7, 1)
    assert result.component("Failures")["NumberOfMessagesSent"] == 1


def test_the_on_failure_destination_gets_the_batch_description_not_the_records() -> None:
    mapping = {"BatchSize": 10, "MaximumRetryAttempts": 1, "MaximumBatchingWindowInSeconds": 1}
    result = run(kinesis_to_worker(mapping, failures=True), records_with_one_poison(3, 0.05), duration_s=1,
                 drain_s=60)
    (record,) = failure_records(result)
    info = record["KinesisBatchInfo"]
    assert set(info) == {"shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
                         "approximateArrivalOfLastRecord", "batchSize", "streamArn"}
    assert info["batchSize"] == 4
    assert info["streamArn"] == "arn:aws:kinesis:us-east-1:123456789012:stream/Stream"
    assert "payload" not in str(record) and "poison" not in str(record)
    assert result.summary["messages"]["dead_lettered"] == 4


def test_report_batch_item_failures_checkpoints_at_the_lowest_failed_record() -> None:
    mapping = {"BatchSize": 10, "MaximumRetryAttempts": 1, "FunctionResponseTypes": ["ReportBatchItemFailures"],
               "MaximumBatchingWindowInSeconds": 2}
    result = run(kinesis_to_worker(mapping, failures=True), records_with_one_poison(6, 0.25), duration_s=1,
                 drain_s=60)
    poison = poison_id(result)
    first_batch = [s for s in result.named("Worker", FUNCTION) if s.annotations["attempt"] == 1]
    assert len(first_batch) == 7
    retried = [s for s in result.named("Worker", FUNCTION) if s.annotations["attempt"] == 2]
    # Retried from the poison record on: the records before it are checkpointed, those after it
    # (which had succeeded) run again.
    order = sorted(first_batch, key=lambda s: str(s.annotations["sequence_number"]))
    position = [s.annotations["message_id"] for s in order].index(poison)
    assert len(retried) == len(order) - position
    assert result.summary["messages"]["duplicate_deliveries"] == len(retried) - 1
    assert failure_records(result)[0]["KinesisBatchInfo"]["batchSize"] == len(retried)


def test_records_older_than_maximum_record_age_are_skipped_to_the_on_failure_destination() -> None:
    result = run(kinesis_to_worker({"BatchSize": 1, "MaximumRecordAgeInSeconds": 60}, failures=True),
                 records_with_one_poison(1, 0.05), duration_s=1, drain_s=600)
    (record,) = failure_records(result)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    poison = invocations_of(result, poison_id(result))
    assert 59 <= seconds(poison[-1].start_time) <= 61


def test_parallelization_factor_runs_batches_concurrently_and_keeps_order_per_partition_key() -> None:
    keys = [f"key{n}" for n in range(20)]
    mapping = {"BatchSize": 5, "ParallelizationFactor": 5}
    result = run(kinesis_to_worker(mapping, duration_ms=50),
                 [{"target": "Stream", "rate": {"per_second": 500}, "count": 1000, "payload": {"n": "$seq"},
                   "attributes": {"partition_key": {"$choice": keys}}}], duration_s=3, drain_s=120)
    assert result.component("Worker")["ConcurrentExecutions"] == 5
    handled = {str(s.annotations["message_id"]): seconds(s.start_time) for s in result.named("Worker")}
    puts = sorted(result.named("Stream"), key=lambda s: int(str(s.annotations["sequence_number"])))
    for key in keys:
        times = [handled[str(p.annotations["message_id"])] for p in puts if p.annotations["partition_key"] == key]
        assert times == sorted(times)
    assert result.summary["messages"]["completed"] == 1000


def test_without_parallelization_a_shard_runs_one_batch_at_a_time() -> None:
    result = run(kinesis_to_worker({"BatchSize": 5}, duration_ms=50),
                 [{"target": "Stream", "rate": {"per_second": 500}, "count": 500}], duration_s=1, drain_s=120)
    assert result.component("Worker")["ConcurrentExecutions"] == 1


def test_iterator_age_grows_while_a_failing_batch_blocks_the_shard() -> None:
    calm = run(kinesis_to_worker({"BatchSize": 1}), [{"target": "Stream", "rate": {"per_second": 5}, "count": 20}],
               duration_s=5, drain_s=60)
    blocked = run(kinesis_to_worker({"BatchSize": 1, "MaximumRetryAttempts": 20}), records_with_one_poison(20, 0.05),
                  duration_s=5, drain_s=120)
    assert calm.component("Worker")["IteratorAge"]["max"] < 1100
    assert blocked.component("Worker")["IteratorAge"]["max"] >= 18_000


def test_every_attempt_of_a_record_is_a_segment_in_its_message_trace() -> None:
    result = run(kinesis_to_worker({"BatchSize": 1, "MaximumRetryAttempts": 2}), records_with_one_poison(1, 0.05),
                 duration_s=1, drain_s=60)
    poison = poison_id(result)
    put = next(s for s in result.named("Stream") if s.annotations["message_id"] == poison)
    attempts = invocations_of(result, poison)
    assert [s.annotations["attempt"] for s in attempts] == [1, 2, 3]
    assert {s.trace_id for s in attempts} == {put.trace_id}
    assert all(s.parent_id == put.id for s in attempts)
    assert all(s.links and s.links[0]["id"] == put.id for s in attempts)


def test_a_throttled_function_does_not_spend_the_retries() -> None:
    document = kinesis_to_worker({"BatchSize": 1, "MaximumRetryAttempts": 0})
    document["components"][1]["properties"] = {"ReservedConcurrentExecutions": 0}
    result = run(document, [{"target": "Stream", "rate": {"per_second": 5}, "count": 5}], duration_s=1,
                 drain_s=300)
    assert result.summary["messages"]["lost"] == 0
    assert result.summary["messages"]["in_flight"] == 5
    assert result.component("Worker")["Throttles"] > 5


def test_the_on_failure_destination_of_a_stream_must_be_a_queue_a_topic_or_a_bucket() -> None:
    from emulator.topology import check_topology

    document = kinesis_to_worker(failures=True)
    document["components"][2] = {"id": "Failures", "kind": "lambda"}
    problems = [p for p in check_topology(document) if p.severity == "error"]
    assert [p.pointer for p in problems] == ["/connections/0/properties/DestinationConfig/OnFailure/Destination"]
    assert "sqs or sns or s3" in problems[0].message


def test_an_sqs_on_failure_destination_is_accepted() -> None:
    from emulator.topology import check_topology

    assert [p for p in check_topology(kinesis_to_worker(failures=True)) if p.severity == "error"] == []
