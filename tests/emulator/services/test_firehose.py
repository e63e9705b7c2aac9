"""Firehose: buffering by size or interval, whichever first; S3 delivery retried for up to 24 hours."""

from __future__ import annotations

from typing import Any

from tests.emulator.scenario import balanced, run, seconds, topology


def delivery(size_mb: int = 5, interval_s: int = 300, *, source: str = "direct") -> dict[str, Any]:
    components: list[dict[str, Any]] = [
        {"id": "Delivery", "kind": "firehose", "properties": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
         "behavior": {"latency_ms": 10}},
        {"id": "Lake", "kind": "s3", "behavior": {"latency_ms": 20}},
    ]
    connections: list[dict[str, Any]] = [{"source": "Delivery", "target": "Lake", "role": "delivery"}]
    if source == "kinesis":
        components.append({"id": "Stream", "kind": "kinesis", "properties": {"ShardCount": 2}})
        connections.append({"source": "Stream", "target": "Delivery", "role": "event_source"})
    return topology(components, connections)


KB_100 = {"blob": "x" * (100 * 1024 - 11)}  # 100 KB of JSON


def test_a_full_buffer_is_delivered_at_once() -> None:
    # 100 KB records, 20 a second: 1 MB fills every half second or so, well before the interval.
    result = run(delivery(size_mb=1, interval_s=900), [{"target": "Delivery", "rate": {"per_second": 20}, "count": 100,
                                                        "payload": KB_100}], duration_s=5, drain_s=60)
    metrics = result.component("Delivery")
    # Every 11th record takes the buffer past 1 MB: 9 full objects, the last 1 waits for the interval.
    assert metrics["DeliveryToS3.ObjectCount"] == 9
    assert result.component("Lake")["PutRequests"] == 9
    assert result.summary["messages"]["in_flight"] == 1


def test_a_buffer_that_does_not_fill_is_delivered_after_the_interval() -> None:
    result = run(delivery(size_mb=5, interval_s=60), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 10}],
                 duration_s=1, drain_s=120)
    (segment, *_) = [s for s in result.named("Delivery") if s.aws and s.aws["operation"] == "PutObject"]
    assert 60.0 <= seconds(segment.start_time) < 60.1
    assert result.component("Delivery")["DeliveryToS3.Records"] == 10
    assert result.component("Delivery")["DeliveryToS3.DataFreshness"]["max"] >= 60_000
    assert result.summary["messages"]["completed"] == 10


def test_the_default_buffer_waits_300_seconds() -> None:
    result = run(delivery(), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 1}], duration_s=1,
                 drain_s=400)
    puts = [s for s in result.named("Delivery") if s.aws and s.aws["operation"] == "PutObject"]
    assert 300.0 <= seconds(puts[0].start_time) < 300.1


def test_every_record_of_an_object_gets_a_delivery_segment_in_its_own_trace() -> None:
    result = run(delivery(interval_s=10), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 5}],
                 duration_s=1, drain_s=60)
    puts = {str(s.annotations["message_id"]): s for s in result.named("Delivery") if s.aws["operation"] == "PutRecord"}
    deliveries = [s for s in result.named("Delivery") if s.aws and s.aws["operation"] == "PutObject"]
    assert len(deliveries) == 5
    for segment in deliveries:
        put = puts[str(segment.annotations["message_id"])]
        assert segment.trace_id == put.trace_id and segment.parent_id == put.id
        assert segment.annotations["records_in_object"] == 5
    assert len({s.annotations["object_key"] for s in deliveries}) == 1
    assert str(deliveries[0].annotations["object_key"]).startswith("2026/01/01/00/Delivery-1-2026-01-01-00-00-")


def test_a_failing_s3_delivery_is_retried_until_it_succeeds() -> None:
    result = run(delivery(interval_s=0), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 1}],
                 duration_s=1, drain_s=600, faults=[{"component": "Lake", "kind": "unavailable", "from_s": 0,
                                                     "to_s": 100}])
    attempts = sorted((s for s in result.named("Delivery") if s.aws and s.aws["operation"] == "PutObject"),
                      key=lambda s: s.start_time)
    assert len(attempts) > 5
    assert all(s.fault for s in attempts[:-1]) and attempts[-1].annotations["outcome"] == "ok"
    assert seconds(attempts[-1].start_time) >= 100
    assert result.summary["messages"]["completed"] == 1
    assert result.component("Delivery")["DeliveryToS3.Success"] < 1


def test_records_are_dropped_after_24_hours_of_failed_deliveries() -> None:
    result = run(delivery(interval_s=0), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 3}],
                 duration_s=1, drain_s=25 * 3600, faults=[{"component": "Lake", "kind": "unavailable", "from_s": 0,
                                                           "to_s": 30 * 3600}])
    assert result.summary["messages"]["lost"] == 3
    assert result.component("Delivery")["RecordsDropped"] == 3
    last = max(seconds(s.start_time) for s in result.named("Delivery") if s.aws["operation"] == "PutObject")
    assert 24 * 3600 - 60 <= last <= 24 * 3600


def test_firehose_reads_a_kinesis_stream_and_delivers_its_records() -> None:
    result = run(delivery(interval_s=30, source="kinesis"),
                 [{"target": "Stream", "rate": {"per_second": 50}, "count": 200}], duration_s=5, drain_s=120)
    assert result.component("Delivery")["IncomingRecords"] == 200
    assert result.component("Delivery")["DeliveryToS3.Records"] == 200
    assert result.summary["messages"]["completed"] == 200
    assert balanced(result.summary)


def test_a_delivery_stream_needs_one_destination() -> None:
    from emulator.topology import check_topology

    document = delivery()
    document["connections"] = []
    problems = check_topology(document)
    assert [p.pointer for p in problems] == ["/components/0"]
    assert "delivery connection" in problems[0].message


def test_firehose_bills_each_record_rounded_up_to_5_kb() -> None:
    result = run(delivery(interval_s=0), [{"target": "Delivery", "rate": {"per_second": 10}, "count": 1000}],
                 duration_s=100, drain_s=60)
    cost = result.summary["cost_usd"]["by_component"]["Delivery"]
    assert abs(cost - 1000 * 5 * 1024 / 1024 ** 3 * 0.029) < 1e-8  # the summary rounds to 8 places


def test_an_sns_subscription_puts_records_into_firehose() -> None:
    document = delivery(interval_s=10)
    document["components"].append({"id": "Topic", "kind": "sns"})
    document["connections"].append({"source": "Topic", "target": "Delivery", "role": "subscription",
                                    "properties": {"RawMessageDelivery": True}})
    result = run(document, [{"target": "Topic", "rate": {"per_second": 10}, "count": 10}], duration_s=1,
                 drain_s=60)
    assert result.component("Delivery")["DeliveryToS3.Records"] == 10
    assert result.summary["messages"]["completed"] == 10
