"""DynamoDB tables: capacity, burst, partitions and hot keys, faults, cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.messages import COMPLETED
from emulator.services.shards import Reader, Shard
from emulator.simulation import Simulation
from emulator.topology import check_topology, load_topology
from emulator.tracing import EPOCH, ListTracer
from emulator.workload import load_workload
from tests.emulator.scenario import Run, balanced, run, seconds, topology


def test_a_hot_partition_key_throttles_an_on_demand_table_at_1000_writes_a_second() -> None:
    table = {"id": "Orders", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"},
             "behavior": {"partition_key": "customer"}}
    hot = run(topology([table]), [{"target": "Orders", "rate": {"per_second": 1500}, "count": 15000,
                                   "payload": {"customer": "c-1", "n": "$seq"}}], duration_s=10)
    spread = run(topology([table]), [{"target": "Orders", "rate": {"per_second": 1500}, "count": 15000,
                                      "payload": {"customer": "$seq"}}], duration_s=10)
    hot_throttles = hot.component("Orders")["WriteThrottleEvents"]
    # One partition serves 1,000 WCU a second, plus one second's worth at the start: of 15,000
    # writes in 10 s, about 11,000 fit and the rest is refused.
    assert 3800 <= hot_throttles <= 4200
    assert hot.summary["messages"]["rejected"] == hot_throttles
    # The same load spread over the table's four partitions goes through.
    assert spread.component("Orders")["WriteThrottleEvents"] == 0


def test_a_provisioned_table_gets_partitions_for_its_capacity() -> None:
    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.workload import load_workload

    def partitions(properties: dict[str, Any]) -> int:
        loaded = load_topology(topology([{"id": "Orders", "kind": "dynamodb", "properties": properties}]))
        workload = load_workload({"format": "wiretap.workload/1", "duration_s": 1,
                                  "sources": [{"target": "Orders", "rate": {"per_second": 1}}]}, loaded)
        table = Simulation(loaded, workload).components["Orders"]
        return int(table.partitions)  # type: ignore[attr-defined]

    assert partitions({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}) == 1
    assert partitions({"ReadCapacityUnits": 6000, "WriteCapacityUnits": 2000}) == 4  # 6000/3000 + 2000/1000
    assert partitions({"BillingMode": "PAY_PER_REQUEST"}) == 4


# Helpers for the tests below -----------------------------------------------------------------
AT_ONCE = 1_000_000  # requests per second: a source that sends its whole count in a few microseconds


def table(properties: dict[str, Any] | None = None, **behavior: Any) -> dict[str, Any]:
    return {"id": "Items", "kind": "dynamodb", "properties": properties or {},
            "behavior": {"latency_ms": 5, **behavior}}


def client_to(table_spec: dict[str, Any], operation: str = "PutItem") -> dict[str, Any]:
    """A client calling the table (a client never retries: each request is one attempt)."""
    return topology([{"id": "Caller", "kind": "client"}, table_spec],
                    [{"source": "Caller", "target": "Items", "role": "request",
                      "properties": {"Operation": operation}}])


def calls(count: int, per_second: float = AT_ONCE, start_s: float = 0, payload: Any = None,
          target: str = "Caller") -> dict[str, Any]:
    return {"target": target, "rate": {"per_second": per_second}, "count": count, "start_s": start_s,
            "payload": {"n": "$seq"} if payload is None else payload}


def answers(result: Run) -> list[int]:
    """The status each call got, in the order the calls were made."""
    segments = sorted(result.named("Caller"), key=lambda s: s.annotations["message_id"])
    return [s.http["response"]["status"] for s in segments]


# Provisioned capacity: units per second, 300 s of burst ---------------------------------------
def test_writes_beyond_the_provisioned_wcu_fail_with_provisioned_throughput_exceeded_400() -> None:
    result = run(client_to(table({"WriteCapacityUnits": 5})), [calls(20)])
    # A new table holds one second's worth: 5 writes pass, the other 15 are refused.
    assert answers(result) == [200] * 5 + [400] * 15
    refused = [s for s in result.named("Caller") if s.http["response"]["status"] == 400]
    for segment in refused:
        [subsegment] = segment.subsegments
        assert subsegment.error and subsegment.throttle and not subsegment.fault
        assert subsegment.cause["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"
        assert segment.annotations["outcome"] == "throttled"
    metrics = result.component("Items")
    assert metrics["WriteThrottleEvents"] == metrics["ThrottledRequests"] == 15
    assert metrics["ReadThrottleEvents"] == 0
    assert metrics["ConsumedWriteCapacityUnits"] == 5


def test_a_steady_load_above_the_wcu_is_served_at_the_wcu() -> None:
    result = run(client_to(table({"WriteCapacityUnits": 5})), [calls(100, per_second=10)], duration_s=10)
    # One second's worth at the start, then 5 a second for the 9.9 s of arrivals.
    assert answers(result).count(200) == pytest.approx(5 + 5 * 9.9, abs=1)


def test_unused_capacity_is_kept_as_burst_for_up_to_300_seconds() -> None:
    # 2,000 writes in 2 s (under the partition's 1,000 a second) after a quiet spell.
    after_100_s = run(client_to(table({"WriteCapacityUnits": 5})), [calls(2000, 1000, start_s=100)], duration_s=102)
    after_400_s = run(client_to(table({"WriteCapacityUnits": 5})), [calls(2000, 1000, start_s=400)], duration_s=402)
    # 100 idle seconds: one second's worth plus 100 s x 5 WCU; 400 idle seconds: capped at 300 s x 5.
    # Plus, both times, 5 a second during the 2 s of writes.
    assert answers(after_100_s).count(200) == pytest.approx(5 + 100 * 5 + 2 * 5, abs=1)
    assert answers(after_400_s).count(200) == pytest.approx(300 * 5 + 2 * 5, abs=1)


def test_reads_use_the_rcu_and_writes_the_wcu() -> None:
    # The client reads (GetItem); the workload writes to the table directly (PutItem).
    document = client_to(table({"ReadCapacityUnits": 10, "WriteCapacityUnits": 2}), "GetItem")
    result = run(document, [calls(12), calls(12, target="Items")])
    metrics = result.component("Items")
    assert metrics["ConsumedReadCapacityUnits"] == 10 and metrics["ReadThrottleEvents"] == 2
    assert metrics["ConsumedWriteCapacityUnits"] == 2 and metrics["WriteThrottleEvents"] == 10


@pytest.mark.parametrize(("operation", "read"), [("GetItem", True), ("Query", True), ("PutItem", False),
                                                 ("UpdateItem", False), ("DeleteItem", False)])
def test_get_item_and_query_are_reads_and_the_other_operations_writes(operation: str, read: bool) -> None:
    result = run(client_to(table({"BillingMode": "PAY_PER_REQUEST"}), operation), [calls(3, per_second=10)])
    metrics = result.component("Items")
    assert (metrics["ConsumedReadCapacityUnits"], metrics["ConsumedWriteCapacityUnits"]) == ((3, 0) if read else (0, 3))
    assert {s.subsegments[0].aws["operation"] for s in result.named("Caller")} == {operation}


@pytest.mark.parametrize(("item_kb", "read_units", "write_units"), [(0.5, 1, 1), (1, 1, 1), (4, 1, 4),
                                                                  (4.5, 2, 5), (6, 2, 6), (400, 100, 400)])
def test_a_read_takes_one_rcu_per_4_kb_and_a_write_one_wcu_per_kb(item_kb: float, read_units: int,
                                                                   write_units: int) -> None:
    reads = run(client_to(table({"BillingMode": "PAY_PER_REQUEST"}, item_kb=item_kb), "GetItem"),
                [calls(1)])
    writes = run(client_to(table({"BillingMode": "PAY_PER_REQUEST"}, item_kb=item_kb), "PutItem"),
                 [calls(1)])
    assert reads.component("Items")["ConsumedReadCapacityUnits"] == read_units
    assert writes.component("Items")["ConsumedWriteCapacityUnits"] == write_units


def test_large_items_exhaust_the_provisioned_capacity_sooner() -> None:
    # 10 WCU and 3 KB items: each write takes 3 units, so 3 writes fit in the first second.
    result = run(client_to(table({"WriteCapacityUnits": 10}, item_kb=3)), [calls(5)])
    assert answers(result) == [200, 200, 200, 400, 400]


def test_an_on_demand_table_has_no_table_wide_limit() -> None:
    # 3,000 writes at once, keys spread: far above 5 WCU, within the four partitions' 4,000.
    on_demand = run(client_to(table({"BillingMode": "PAY_PER_REQUEST"})), [calls(3000)])
    provisioned = run(client_to(table({"WriteCapacityUnits": 5})), [calls(3000)])
    assert on_demand.component("Items")["ThrottledRequests"] == 0
    assert provisioned.component("Items")["ThrottledRequests"] == 2995


def test_a_hot_partition_key_throttles_reads_at_3000_a_second() -> None:
    hot = run(client_to(table({"BillingMode": "PAY_PER_REQUEST"}, partition_key="customer"), "GetItem"),
              [calls(4000, payload={"customer": "c-1"})])
    # 3,000 at once, plus the refill at 3,000/s during the 3.999 ms the reads take to arrive.
    assert answers(hot).count(200) == 3000 + 11
    assert hot.component("Items")["ReadThrottleEvents"] == 1000 - 11


def test_a_request_its_partition_refuses_consumes_none_of_the_tables_capacity() -> None:
    # 2,000 WCU: three partitions; keys "a" and "b" hash to different ones. 1,500 writes to "a" at
    # once: its partition serves 1,000 and refuses 500, and the table still has 1,000 for "b" next.
    spec = table({"WriteCapacityUnits": 2000}, partition_key="key")
    result = run(client_to(spec), [calls(1500, payload={"key": "a"}),
                                   calls(1000, payload={"key": "b"}, start_s=0.002)])
    served = {"a": 0, "b": 0}
    for segment in result.named("Caller"):
        if segment.http["response"]["status"] == 200:
            served[segment.metadata["message"]["payload"]["key"]] += 1
    assert served["a"] == pytest.approx(1000, abs=2)  # and the refill during the 1.5 ms of arrivals
    assert served["b"] == 1000


# A Lambda caller retries throttles the AWS SDK way ---------------------------------------------
def function_to_table(table_spec: dict[str, Any]) -> dict[str, Any]:
    return topology(
        [{"id": "Writer", "kind": "lambda", "behavior": {"duration_ms": 10, "cold_start_ms": 0}}, table_spec],
        [{"source": "Writer", "target": "Items", "role": "request"}])


def test_a_lambda_caller_retries_a_throttled_write_three_attempts_in_all() -> None:
    throttle_everything = [{"component": "Items", "kind": "throttle", "value": 0, "from_s": 0, "to_s": 100}]
    result = run(function_to_table(table({"BillingMode": "PAY_PER_REQUEST"})), [calls(1, target="Writer")],
                 faults=throttle_everything)
    [writer] = result.named("Writer")
    [subsegment] = [s for s in writer.subsegments if s.name == "Items"]
    assert subsegment.aws["retries"] == 2
    assert subsegment.throttle and subsegment.error
    assert subsegment.cause["exceptions"][0]["type"] == "ProvisionedThroughputExceededException"
    # Backoff with full jitter: the second attempt within 1 s, the third within 2 s of that.
    assert 0 < seconds(subsegment.end_time) - seconds(subsegment.start_time) < 3.01
    assert result.component("Items")["WriteThrottleEvents"] == 3
    assert result.component("Writer")["Errors"] == 1
    assert writer.annotations["outcome"] == "error"


def test_a_throttled_write_that_succeeds_on_retry_counts_the_retry_and_no_error() -> None:
    brief_throttle = [{"component": "Items", "kind": "throttle", "value": 0, "from_s": 0, "to_s": 0.02}]
    result = run(function_to_table(table({"BillingMode": "PAY_PER_REQUEST"})), [calls(1, target="Writer")],
                 faults=brief_throttle)
    [writer] = result.named("Writer")
    [subsegment] = [s for s in writer.subsegments if s.name == "Items"]
    assert subsegment.aws["retries"] == 1
    assert not (subsegment.throttle or subsegment.error or subsegment.fault)
    assert writer.annotations["outcome"] == "ok"
    assert result.component("Items")["WriteThrottleEvents"] == 1


def test_a_client_caller_does_not_retry_a_throttle() -> None:
    result = run(client_to(table({"WriteCapacityUnits": 1})), [calls(2)])
    assert result.component("Items")["WriteThrottleEvents"] == 1
    assert all("retries" not in s.subsegments[0].aws for s in result.named("Caller"))


# Faults ------------------------------------------------------------------------------------------
def fault(kind: str, value: float | None = None, to_s: float = 1) -> list[dict[str, Any]]:
    window: dict[str, Any] = {"component": "Items", "kind": kind, "from_s": 0, "to_s": to_s}
    if value is not None:
        window["value"] = value
    return [window]


ON_DEMAND = table({"BillingMode": "PAY_PER_REQUEST"})


def test_an_unavailable_table_answers_503_inside_the_window() -> None:
    result = run(client_to(ON_DEMAND), [calls(4, per_second=2)], faults=fault("unavailable"))
    assert answers(result) == [503, 503, 200, 200]
    assert result.component("Items")["ConsumedWriteCapacityUnits"] == 2


def test_a_slow_fault_adds_its_milliseconds_to_the_request_latency() -> None:
    result = run(client_to(ON_DEMAND), [calls(2, per_second=1)], faults=fault("slow", 300))
    assert [seconds(s.end_time) - seconds(s.start_time) for s in result.named("Caller")] == [
        pytest.approx(0.305, abs=1e-6), pytest.approx(0.005, abs=1e-6)]
    assert result.component("Items")["SuccessfulRequestLatency"]["p99"] == pytest.approx(305, rel=0.01)


def test_an_error_rate_fault_answers_500_internal_server_error() -> None:
    result = run(client_to(ON_DEMAND), [calls(4, per_second=2)], faults=fault("error_rate", 1.0))
    assert answers(result) == [500, 500, 200, 200]
    failed = sorted(result.named("Caller"), key=lambda s: s.annotations["message_id"])[0].subsegments[0]
    assert failed.fault and failed.cause["exceptions"][0]["type"] == "InternalServerError"


def test_a_throttle_fault_refuses_beyond_its_rate_with_provisioned_throughput_exceeded() -> None:
    result = run(client_to(ON_DEMAND), [calls(10)], faults=fault("throttle", 3))
    assert answers(result) == [200] * 3 + [400] * 7
    assert result.component("Items")["WriteThrottleEvents"] == 7


# Cost --------------------------------------------------------------------------------------------
def test_a_provisioned_table_costs_its_capacity_by_the_hour_whatever_it_serves() -> None:
    properties = {"ReadCapacityUnits": 100, "WriteCapacityUnits": 50}
    busy = run(client_to(table(properties)), [calls(100, per_second=10)], duration_s=10)
    quiet = run(client_to(table(properties)), [calls(1, start_s=9.9)], duration_s=10)
    assert busy.summary["virtual_seconds"] == quiet.summary["virtual_seconds"]
    hours = busy.summary["virtual_seconds"] / 3600
    # $0.00013 per RCU-hour and $0.00065 per WCU-hour (us-east-1), for as long as the run lasts.
    expected = hours * (100 * 0.00013 + 50 * 0.00065)
    assert busy.summary["cost_usd"]["by_component"]["Items"] == pytest.approx(expected, rel=1e-3)
    assert quiet.summary["cost_usd"]["by_component"]["Items"] == pytest.approx(expected, rel=1e-3)


def test_an_on_demand_table_costs_its_request_units() -> None:
    document = client_to(table({"BillingMode": "PAY_PER_REQUEST"}, item_kb=2), "GetItem")
    result = run(document, [calls(40, per_second=10), calls(20, per_second=10, target="Items")])
    # 40 reads of 1 unit at $0.125/M, 20 writes of 2 units at $0.625/M.
    assert result.summary["cost_usd"]["by_component"]["Items"] == pytest.approx(
        40 * 0.125 / 1_000_000 + 40 * 0.625 / 1_000_000, rel=1e-3)



# Streams ------------------------------------------------------------------------------------------
def streamed(view_type: str, operations: tuple[str, ...] = ("PutItem",), **mapping: Any) -> dict[str, Any]:
    """Functions writing to a table with a stream, and a consumer of the stream: Writer0 performs
    the first operation, then calls Writer1, which performs the second, and so on."""
    writers = [{"id": f"Writer{n}", "kind": "lambda", "behavior": {"duration_ms": 1, "cold_start_ms": 0}}
               for n in range(len(operations))]
    connections: list[dict[str, Any]] = []
    for n, operation in enumerate(operations):
        connections.append({"source": f"Writer{n}", "target": "Items", "role": "request",
                            "properties": {"Operation": operation}})
        if n + 1 < len(operations):
            connections.append({"source": f"Writer{n}", "target": f"Writer{n + 1}", "role": "request"})
    connections.append({"source": "Items", "target": "Consumer", "role": "event_source", "properties": mapping})
    return topology(
        [*writers,
         {"id": "Items", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST",
                                                            "StreamViewType": view_type},
          "behavior": {"latency_ms": 5, "partition_key": "id"}},
         {"id": "Consumer", "kind": "lambda", "behavior": {"duration_ms": 5, "cold_start_ms": 0}}],
        connections)


class Recorder(Reader):
    """A reader of the table's stream that keeps each record's payload as soon as it is written
    (and, like any reader, gives its ledger token back once it has read the record)."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.position = shard.next_sequence
        self.payloads: list[tuple[float, int, dict[str, Any]]] = []
        shard.readers.append(self)

    def woken(self) -> None:
        sim = self.shard.owner.sim
        for record in self.shard.read(self.position, 10_000):
            self.payloads.append((record.arrival, record.sequence, record.message.payload))
            sim.ledger.release(record.message.record, COMPLETED, record.arrival)
            self.position = record.sequence + 1
        self.shard.forget_read()


def run_recording(document: dict[str, Any], sources: list[dict[str, Any]], **options: Any) -> tuple[Run, list[Any]]:
    """Run with a recorder on every shard of the table's stream; the records in the order written."""
    loaded = load_topology(document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 7, "duration_s": options.get("duration_s", 10),
                              "drain_s": options.get("drain_s", 600), "sources": sources}, loaded)
    tracer = ListTracer()
    sim = Simulation(loaded, workload, tracer=tracer)
    recorders = [Recorder(shard) for shard in sim.components["Items"].stream.shards]  # type: ignore[attr-defined]
    summary = sim.run()
    written = sorted(entry for recorder in recorders for entry in recorder.payloads)
    return Run(sim, summary, tracer.segments), [payload for _, _, payload in written]


def writes(count: int, ids: list[str]) -> list[dict[str, Any]]:
    return [{"target": "Writer0", "rate": {"per_second": 10}, "count": count,
             "payload": {"id": {"$choice": ids}, "n": "$seq"}}]


def test_every_item_change_becomes_exactly_one_stream_record_in_order_per_item() -> None:
    result, records = run_recording(streamed("NEW_IMAGE"), writes(30, ["a", "b", "c"]), duration_s=5, drain_s=60)
    assert len(records) == 30
    for key in ("a", "b", "c"):
        mine = [r for r in records if r["dynamodb"]["Keys"] == {"id": key}]
        assert mine[0]["eventName"] == "INSERT"
        assert all(r["eventName"] == "MODIFY" for r in mine[1:])
        numbers = [r["dynamodb"]["NewImage"]["n"] for r in mine]
        assert numbers == sorted(numbers)
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in mine]
        assert sequence_numbers == sorted(sequence_numbers, key=int)
    assert result.component("Consumer")["Invocations"] > 0
    assert result.summary["messages"]["completed"] == 30
    assert balanced(result.summary)


def test_a_delete_is_a_remove_record_and_deleting_a_missing_item_writes_none() -> None:
    _, records = run_recording(streamed("NEW_AND_OLD_IMAGES", ("PutItem", "DeleteItem", "DeleteItem")),
                               [{"target": "Writer0", "rate": {"per_second": 10}, "count": 1,
                                 "payload": {"id": "a", "n": 1}}])
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert records[1]["dynamodb"]["OldImage"] == {"id": "a", "n": 1}
    assert "NewImage" not in records[1]["dynamodb"]


def test_update_item_merges_into_the_old_image() -> None:
    _, records = run_recording(streamed("NEW_AND_OLD_IMAGES", ("PutItem", "UpdateItem")),
                               [{"target": "Writer0", "rate": {"per_second": 10}, "count": 1,
                                 "payload": {"id": "a", "n": 1}}])
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"] == {"id": "a", "n": 1}


@pytest.mark.parametrize(("view_type", "new", "old"), [
    ("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True),
    ("NEW_AND_OLD_IMAGES", True, True),
])
def test_the_stream_view_type_decides_which_images_a_record_carries(view_type: str, new: bool, old: bool) -> None:
    _, records = run_recording(streamed(view_type), [{"target": "Writer0", "rate": {"per_second": 10}, "count": 2,
                                                      "payload": {"id": "a", "n": "$seq"}}])
    modify = records[1]["dynamodb"]
    assert modify["Keys"] == {"id": "a"}
    assert modify["StreamViewType"] == view_type
    assert ("NewImage" in modify) is new
    assert ("OldImage" in modify) is old


def test_reads_write_no_stream_records() -> None:
    result, records = run_recording(streamed("KEYS_ONLY", ("GetItem",)), writes(5, ["a"]))
    assert records == []
    assert "Invocations" in result.component("Consumer") and result.component("Consumer")["Invocations"] == 0


def test_lambda_polls_a_dynamodb_stream_four_times_a_second() -> None:
    result = run(streamed("KEYS_ONLY"), [{"target": "Writer0", "rate": {"per_second": 3}, "count": 30,
                                          "payload": {"id": "$seq"}}], duration_s=10, drain_s=60)
    ages = result.component("Consumer")["IteratorAge"]
    # A record waits at most a quarter of a second for the next poll (plus the write's latency).
    assert 200 <= ages["max"] <= 260


def test_a_failing_stream_record_blocks_its_item_partition_until_the_retries_are_spent() -> None:
    document = streamed("NEW_IMAGE", BatchSize=1, MaximumRetryAttempts=2)
    # Written straight to the table: a poison message fails in every function, the writers too.
    result = run(document, [{"target": "Items", "rate": {"per_second": 10}, "count": 3,
                             "payload": {"id": "a", "n": "$seq"}},
                            {"target": "Items", "rate": {"per_second": 10}, "count": 1, "start_s": 0.05,
                             "poison_rate": 1.0, "payload": {"id": "a", "n": 99}}], duration_s=1, drain_s=60)
    consumer = sorted(result.named("Consumer"), key=lambda s: s.start_time)
    poison = [s for s in consumer if s.annotations.get("outcome") == "error"]
    assert len(poison) == 3
    later = [s for s in consumer if seconds(s.start_time) > seconds(poison[0].start_time)
             and s.annotations.get("outcome") == "ok"]
    assert later and all(seconds(s.start_time) >= seconds(poison[-1].end_time) for s in later)
    assert result.summary["messages"]["lost"] == 1


def test_an_event_source_mapping_needs_the_table_stream() -> None:
    from emulator.topology import check_topology

    document = streamed("KEYS_ONLY")
    del document["components"][1]["properties"]["StreamViewType"]
    problems = check_topology(document)
    assert [p.pointer for p in problems] == ["/connections/1/source"]
    assert problems[0].subject == "Items -> Consumer (event_source)"
    assert "StreamViewType" in problems[0].message


# Item status: what a status read sees ----------------------------------------------------------
def status_table() -> dict[str, Any]:
    return table({"BillingMode": "PAY_PER_REQUEST"}, partition_key="order_id", status_attribute="status")


def reads_and_writes(reads: list[float], writes: list[tuple[float, str]], delete_at: float | None = None) -> Run:
    """Reads (GetItem) by the client and writes (PutItem, DeleteItem) by a writer, all of order o-1."""
    document = topology(
        [{"id": "Caller", "kind": "client"}, {"id": "Writer", "kind": "client"},
         {"id": "Remover", "kind": "client"}, status_table()],
        [{"source": "Caller", "target": "Items", "role": "request", "properties": {"Operation": "GetItem"}},
         {"source": "Writer", "target": "Items", "role": "request", "properties": {"Operation": "PutItem"}},
         {"source": "Remover", "target": "Items", "role": "request", "properties": {"Operation": "DeleteItem"}}])
    sources = [calls(1, start_s=at, payload={"order_id": "o-1"}) for at in reads]
    sources += [calls(1, start_s=at, payload={"order_id": "o-1", "status": status}, target="Writer")
                for at, status in writes]
    if delete_at is not None:
        sources.append(calls(1, start_s=delete_at, payload={"order_id": "o-1"}, target="Remover"))
    return run(document, sources)


def test_a_get_item_sees_the_status_the_last_completed_write_recorded_for_its_key() -> None:
    from emulator.services.dynamodb import Table

    result = reads_and_writes([], [(1.0, "pending"), (2.0, "done")])
    items_table = result.sim.components["Items"]
    assert isinstance(items_table, Table) and items_table.items is not None
    status, written_at = items_table.items["o-1"]
    assert status == "done"
    # The write takes effect when it completes: 5 ms after it arrived.
    assert written_at == pytest.approx(2.005)


def test_a_get_item_answers_the_item_with_its_write_time_or_no_item_when_there_is_none() -> None:
    from emulator.messages import Message, MessageRecord
    from emulator.services.base import Call, Reply
    from emulator.services.dynamodb import Table

    result = reads_and_writes([], [(1.0, "done")])
    items_table = result.sim.components["Items"]
    assert isinstance(items_table, Table) and items_table.items is not None
    seen: list[Reply] = []
    message = Message("msg-read", "trace-read", {"order_id": "o-1"}, MessageRecord("msg-read", "trace-read", 3.0))
    read = Call(message, None, None, seen.append, "GetItem")
    items_table._keep(read)
    assert seen[0].payload == {"Item": {"order_id": "o-1", "status": "done",
                                        "updated_at": pytest.approx(EPOCH + 1.005)}}
    items_table.items.clear()
    items_table._keep(read)
    assert seen[1].ok and seen[1].payload == {}


def test_a_delete_item_removes_the_keys_status() -> None:
    from emulator.services.dynamodb import Table

    result = reads_and_writes([], [(1.0, "done")], delete_at=2.0)
    items_table = result.sim.components["Items"]
    assert isinstance(items_table, Table) and items_table.items == {}


def test_a_table_without_status_attribute_keeps_no_item_data() -> None:
    from emulator.services.dynamodb import Table

    result = run(client_to(table(partition_key="order_id")), [calls(3, payload={"order_id": "$seq"})])
    items_table = result.sim.components["Items"]
    assert isinstance(items_table, Table) and items_table.items is None


def test_a_status_attribute_without_a_partition_key_is_refused_naming_the_behavior() -> None:
    from emulator.problems import InvalidDocument

    with pytest.raises(InvalidDocument) as refused:
        load_topology(topology([table(status_attribute="status")]))
    [problem] = refused.value.problems
    assert problem.pointer == "/components/0/behavior/status_attribute"
    assert "partition_key" in problem.message


def test_dynamodb_stream_filters_match_the_event_name_and_the_new_image() -> None:
    inserts = {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}
    result = run(streamed("NEW_IMAGE", FilterCriteria=inserts), writes(30, ["a", "b", "c"]), duration_s=5, drain_s=60)
    # Three items: their first writes insert, the other 27 modify.
    assert len(result.named("Consumer", "AWS::Lambda::Function")) == 3
    consumer = result.component("Consumer")
    assert consumer["PolledEventCount"] == 30
    assert consumer["FilteredOutEventCount"] == 27
    assert len([s for s in result.segments if s.annotations.get("outcome") == "filtered_out"]) == 27
    assert result.summary["messages"]["completed"] == 30
    assert balanced(result.summary)
    image = {"Filters": [{"Pattern": json.dumps({"dynamodb": {"NewImage": {"id": ["b"]}}})}]}
    only_b, records = run_recording(streamed("NEW_IMAGE", FilterCriteria=image), writes(30, ["a", "b", "c"]),
                                    duration_s=5, drain_s=60)
    written_b = sum(1 for record in records if record["dynamodb"]["NewImage"]["id"] == "b")
    assert 0 < written_b < 30
    assert len(only_b.named("Consumer", "AWS::Lambda::Function")) == written_b
    assert only_b.component("Consumer")["FilteredOutEventCount"] == 30 - written_b


def test_a_stream_mapping_filter_that_is_not_a_valid_pattern_is_an_error_at_its_pointer() -> None:
    bad = {"Filters": [{"Pattern": json.dumps({"eventName": "INSERT"})}]}
    [problem] = [p for p in check_topology(streamed("NEW_IMAGE", FilterCriteria=bad)) if p.severity == "error"]
    assert problem.pointer.endswith("/properties/FilterCriteria/Filters/0/Pattern")
