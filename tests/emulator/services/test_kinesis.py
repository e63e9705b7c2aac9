"""Kinesis data streams: shards by MD5 hash range, write and read limits, sequence numbers, retention."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from emulator.services.shards import HASH_KEY_SPACE, even_ranges
from tests.emulator.scenario import balanced, run, seconds, topology

AT_ONCE = 1_000_000  # per second: a source that sends its whole count in a few microseconds


def stream(shards: int = 1, **properties: Any) -> dict[str, Any]:
    return {"id": "Stream", "kind": "kinesis", "properties": {"ShardCount": shards, **properties},
            "behavior": {"latency_ms": 10}}


def worker(**behavior: Any) -> dict[str, Any]:
    return {"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": 5, "cold_start_ms": 0, **behavior}}


def test_shards_split_the_128_bit_hash_key_space_evenly() -> None:
    ranges = even_ranges(4)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == HASH_KEY_SPACE - 1
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(3))
    assert ranges[1][0] == HASH_KEY_SPACE // 4


def test_a_record_goes_to_the_shard_whose_range_holds_the_md5_of_its_partition_key() -> None:
    keys = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    result = run(topology([stream(4)]), [{"target": "Stream", "rate": {"per_second": 10}, "count": 60,
                                          "attributes": {"partition_key": {"$choice": keys}}}])
    puts = result.named("Stream")
    assert len(puts) == 60
    for segment in puts:
        key = str(segment.annotations["partition_key"])
        number = int.from_bytes(hashlib.md5(key.encode()).digest())
        assert segment.annotations["shard_id"] == f"shardId-{number * 4 // HASH_KEY_SPACE:012d}"
    assert result.component("Stream")["IncomingRecords"] == 60


def test_sequence_numbers_increase_within_a_shard() -> None:
    result = run(topology([stream(2)]), [{"target": "Stream", "rate": {"per_second": 50}, "count": 100}])
    by_shard: dict[str, list[str]] = {}
    for segment in sorted(result.named("Stream"), key=lambda s: s.start_time):
        shard = str(segment.annotations["shard_id"])
        by_shard.setdefault(shard, []).append(str(segment.annotations["sequence_number"]))
    assert len(by_shard) == 2
    for numbers in by_shard.values():
        assert numbers == sorted(numbers, key=int)
        assert len(set(numbers)) == len(numbers)


def test_a_shard_takes_1000_records_a_second_and_refuses_the_rest() -> None:
    # 6,000 records in 2 s to one shard: one second's worth in hand plus 1,000 a second gets
    # about 3,000 through; the rest is refused with ProvisionedThroughputExceededException.
    result = run(topology([stream(1)]), [{"target": "Stream", "rate": {"per_second": 3000}, "count": 6000}],
                 duration_s=2)
    exceeded = result.component("Stream")["WriteProvisionedThroughputExceeded"]
    assert 2950 <= exceeded <= 3050
    assert result.summary["messages"]["rejected"] == exceeded
    refused = [s for s in result.named("Stream") if s.annotations["outcome"] == "throttled"]
    assert refused[0].error and refused[0].throttle
    assert refused[0].cause is not None
    assert refused[0].cause["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"


def test_a_shard_takes_1_mb_a_second() -> None:
    # 100 KB records at 20 a second are 2 MB a second: a shard takes half of them.
    big = "x" * (100 * 1024)
    result = run(topology([stream(1)]), [{"target": "Stream", "rate": {"per_second": 20}, "count": 200,
                                          "payload": {"blob": big}}], duration_s=10)
    exceeded = result.component("Stream")["WriteProvisionedThroughputExceeded"]
    assert 85 <= exceeded <= 105


def test_more_shards_take_more_records() -> None:
    result = run(topology([stream(4)]), [{"target": "Stream", "rate": {"per_second": 3000}, "count": 6000}],
                 duration_s=2)
    assert result.component("Stream")["WriteProvisionedThroughputExceeded"] == 0


def test_a_function_writing_to_a_busy_shard_is_retried_by_the_sdk() -> None:
    document = topology([{"id": "Producer", "kind": "lambda", "behavior": {"duration_ms": 1, "cold_start_ms": 0}},
                         stream(1)],
                        [{"source": "Producer", "target": "Stream", "role": "request"}])
    result = run(document, [{"target": "Producer", "rate": {"per_second": 1500}, "count": 3000,
                             "attributes": {"partition_key": "one"}}], duration_s=2)
    retried = [sub for s in result.named("Producer") for sub in s.subsegments or ()
               if sub.name == "Stream" and sub.aws and sub.aws.get("retries")]
    assert retried
    assert retried[0].aws is not None and retried[0].aws["operation"] == "PutRecord"


def test_a_shard_serves_5_get_records_calls_a_second() -> None:
    # Six consumers poll the same shard once a second each: one call in six is refused.
    functions = [worker() | {"id": f"Worker{n}"} for n in range(6)]
    connections = [{"source": "Stream", "target": f"Worker{n}", "role": "event_source"} for n in range(6)]
    result = run(topology([stream(1), *functions], connections),
                 [{"target": "Stream", "rate": {"per_second": 10}, "count": 100}], duration_s=10, drain_s=60)
    assert result.component("Stream")["ReadProvisionedThroughputExceeded"] > 0
    assert all(result.component(f"Worker{n}")["Invocations"] > 0 for n in range(6))
    assert result.summary["messages"]["completed"] == 100
    assert balanced(result.summary)


def test_records_no_consumer_read_within_the_retention_period_are_lost() -> None:
    # The consumer is always throttled (reserved concurrency 0): nothing is read for 24 h.
    document = topology([stream(1), worker() | {"properties": {"ReservedConcurrentExecutions": 0}}],
                        [{"source": "Stream", "target": "Worker", "role": "event_source"}])
    result = run(document, [{"target": "Stream", "rate": {"per_second": 10}, "count": 20}], duration_s=2,
                 drain_s=25 * 3600)
    assert result.summary["messages"]["lost"] == 20
    assert result.component("Stream")["ExpiredRecords"] == 20
    assert balanced(result.summary)


def test_records_are_kept_for_the_retention_period_not_less() -> None:
    document = topology([stream(1), worker() | {"properties": {"ReservedConcurrentExecutions": 0}}],
                        [{"source": "Stream", "target": "Worker", "role": "event_source"}])
    result = run(document, [{"target": "Stream", "rate": {"per_second": 10}, "count": 20}], duration_s=2,
                 drain_s=23 * 3600)
    assert result.summary["messages"]["lost"] == 0
    assert result.summary["messages"]["in_flight"] == 20


def test_an_unavailable_stream_answers_503() -> None:
    result = run(topology([stream(1)]), [{"target": "Stream", "rate": {"per_second": 10}, "count": 20}],
                 faults=[{"component": "Stream", "kind": "unavailable", "from_s": 0, "to_s": 1}])
    assert result.summary["messages"]["rejected"] == 10
    assert result.component("Stream")["IncomingRecords"] == 10


def test_an_injected_throttle_answers_provisioned_throughput_exceeded() -> None:
    result = run(topology([stream(1)]), [{"target": "Stream", "rate": {"per_second": 10}, "count": 20}],
                 faults=[{"component": "Stream", "kind": "throttle", "value": 0, "from_s": 0, "to_s": 1}])
    assert result.component("Stream")["WriteProvisionedThroughputExceeded"] == 10


def test_a_slow_fault_adds_to_put_record_latency() -> None:
    result = run(topology([stream(1)]), [{"target": "Stream", "rate": {"per_second": 10}, "count": 10}],
                 faults=[{"component": "Stream", "kind": "slow", "value": 500, "from_s": 0, "to_s": 10}])
    segment = result.named("Stream")[0]
    assert seconds(segment.end_time) - seconds(segment.start_time) >= 0.5


def test_a_stream_costs_shard_hours_and_put_payload_units() -> None:
    result = run(topology([stream(2)]), [{"target": "Stream", "rate": {"per_second": 10}, "count": 10}],
                 duration_s=1, drain_s=3600)
    cost = result.summary["cost_usd"]["by_component"]["Stream"]
    hours = result.summary["virtual_seconds"] / 3600.0
    assert abs(cost - (2 * hours * 0.015 + 10 * 0.014 / 1_000_000)) < 1e-6


def test_get_records_iterator_age_is_the_age_of_the_last_record_read() -> None:
    document = topology([stream(1), worker()], [{"source": "Stream", "target": "Worker", "role": "event_source"}])
    result = run(document, [{"target": "Stream", "rate": {"per_second": 1}, "start_s": 0.1, "count": 5}],
                 duration_s=6, drain_s=60)
    # Written at 0.1 s past each second, read at the next whole second: 0.9 s old.
    assert result.component("Stream")["GetRecords.IteratorAgeMilliseconds"] == 900.0


# Event filtering (FilterCriteria) on the Lambda mapping -----------------------------------------------
def filtered_stream(*patterns: dict[str, Any], **mapping: Any) -> dict[str, Any]:
    criteria = {"Filters": [{"Pattern": json.dumps(pattern)} for pattern in patterns]}
    return topology([stream(1, **{}) | {"behavior": {"latency_ms": 10, "partition_key": "tenant"}}, worker()],
                    [{"source": "Stream", "target": "Worker", "role": "event_source",
                      "properties": {"FilterCriteria": criteria, **mapping}}])


def tenants(count: int) -> list[dict[str, Any]]:
    return [{"target": "Stream", "rate": {"per_second": 100}, "count": count,
             "payload": {"tenant": {"$choice": ["acme", "globex"]}, "n": "$seq"}}]


def test_only_records_a_filter_matches_invoke_the_function_the_checkpoint_moves_past_the_others() -> None:
    result = run(filtered_stream({"data": {"tenant": ["acme"]}}), tenants(40), duration_s=2, drain_s=30)
    handled = result.named("Worker", "AWS::Lambda::Function")
    filtered = [s for s in result.segments if s.annotations.get("outcome") == "filtered_out"]
    assert 0 < len(handled) < 40
    assert len(handled) + len(filtered) == 40
    assert all(s.origin == "AWS::Lambda" for s in filtered)
    worker = result.component("Worker")
    assert worker["PolledEventCount"] == 40
    assert worker["FilteredOutEventCount"] == len(filtered)
    assert result.summary["messages"]["completed"] == 40
    assert balanced(result.summary)


def test_kinesis_filters_match_the_partition_key_and_any_filter_sends_the_record() -> None:
    by_key = run(filtered_stream({"partitionKey": ["globex"]}), tenants(20), duration_s=1, drain_s=30)
    globex = {s.annotations["message_id"] for s in by_key.segments
              if s.name == "Stream" and s.annotations.get("partition_key") == "globex"}
    assert 0 < len(globex) < 20
    assert {s.annotations["message_id"] for s in by_key.named("Worker", "AWS::Lambda::Function")} == globex
    either = run(filtered_stream({"partitionKey": ["globex"]}, {"data": {"tenant": ["acme"]}}), tenants(20),
                 duration_s=1, drain_s=30)
    assert len(either.named("Worker", "AWS::Lambda::Function")) == 20
    assert either.component("Worker")["FilteredOutEventCount"] == 0


def test_a_stream_batch_with_no_matching_record_invokes_nothing() -> None:
    result = run(filtered_stream({"data": {"tenant": ["initech"]}}), tenants(30), duration_s=1, drain_s=30)
    assert result.component("Worker")["Invocations"] == 0
    assert result.component("Worker")["FilteredOutEventCount"] == 30
    assert result.summary["messages"]["completed"] == 30
    assert balanced(result.summary)
