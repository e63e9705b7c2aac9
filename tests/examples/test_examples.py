"""Each example's run must show its lesson (examples/*/README.md), computed from its own output."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.findings import findings
from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import ListTracer, Segment
from emulator.workload import DEFAULT_DRAIN_S, load_workload
from tests.emulator.scenario import Run, balanced, duplicates_in_traces, seconds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Edit = Callable[[dict[str, Any]], None]


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def run_example(name: str, edit: Edit | None = None, drain_s: float | None = None) -> Run:
    topology_document = json.loads((EXAMPLES / name / "topology.json").read_text())
    if edit is not None:
        edit(topology_document)
    topology = load_topology(topology_document)
    workload_document = json.loads((EXAMPLES / name / "workload.json").read_text())
    if drain_s is not None:
        workload_document["drain_s"] = drain_s
    workload = load_workload(workload_document, topology)
    tracer = ListTracer()
    sim = Simulation(topology, workload, tracer=tracer)
    return Run(sim, sim.run(), tracer.segments)


def component(document: dict[str, Any], component_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in document["components"] if c["id"] == component_id)
    return found


def connection(document: dict[str, Any], role: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in document["connections"] if c["role"] == role)
    return found


def by_trace(segments: list[Segment]) -> dict[str, list[Segment]]:
    traces: dict[str, list[Segment]] = defaultdict(list)
    for segment in segments:
        traces[segment.trace_id].append(segment)
    return traces


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_is_valid_balances_and_documents_its_lesson(name: str) -> None:
    result = run_example(name)
    assert balanced(result.summary)
    readme = (EXAMPLES / name / "README.md").read_text()
    assert "**What the run shows.**" in readme


@pytest.mark.parametrize("drain_s", [None, 0.0], ids=["drained", "cut short"])
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_places_each_copy_still_held_where_it_is(name: str, drain_s: float | None) -> None:
    summary = run_example(name, drain_s=drain_s).summary
    in_flight = summary["in_flight_at_end"]
    placed = sum(count for states in in_flight["by_component"].values() for count in states.values())
    # Every copy the ledger counts is somewhere the summary names; a message in flight has at least one.
    assert placed == in_flight["copies"] >= summary["messages"]["in_flight"]
    assert balanced(summary)
    if summary["messages"]["in_flight"]:
        assert summary["virtual_seconds"] == pytest.approx(summary_deadline(name, drain_s))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_counts_the_duplicates_its_traces_show(name: str) -> None:
    result = run_example(name)
    assert result.summary["messages"]["duplicate_deliveries"] == duplicates_in_traces(result.segments)


def summary_deadline(name: str, drain_s: float | None) -> float:
    workload = json.loads((EXAMPLES / name / "workload.json").read_text())
    drain = workload.get("drain_s", DEFAULT_DRAIN_S) if drain_s is None else drain_s
    return float(workload["duration_s"]) + float(drain)


# Simple Web Service -----------------------------------------------------------------------
def test_simple_web_service_latency_is_the_sum_of_its_nested_hops() -> None:
    result = run_example("simple-web-service")
    checked = 0
    for segments in by_trace(result.segments).values():
        named = {s.name: s for s in segments}
        if "Handler" not in named:
            continue
        browser, api, handler = named["Browser"], named["Api"], named["Handler"]
        items = next(s for s in handler.subsegments or [] if s.name == "Items")
        # Each hop lies inside its caller, so the caller's latency includes every hop below it.
        assert browser.start_time <= api.start_time <= handler.start_time <= items.start_time
        assert items.end_time <= handler.end_time <= api.end_time <= browser.end_time  # type: ignore[operator]
        checked += 1
    assert checked == result.summary["messages"]["completed"]


def test_simple_web_service_answers_429_before_the_function_during_the_spike() -> None:
    result = run_example("simple-web-service")
    throttled = [s for s in result.named("Api") if s.throttle]
    assert throttled and result.summary["messages"]["rejected"] == len(throttled)
    # Only the spike (300/s from 10 s to 15 s) exceeds the 100/s limit.
    assert all(10.0 <= seconds(s.start_time) <= 16.0 for s in throttled)
    traces = by_trace(result.segments)
    assert all(not any(x.name == "Handler" for x in traces[s.trace_id]) for s in throttled)
    assert result.component("Handler")["Invocations"] == result.summary["messages"]["accepted"]

    def raise_limit(document: dict[str, Any]) -> None:
        component(document, "Api")["properties"]["ThrottlingRateLimit"] = 400

    assert run_example("simple-web-service", raise_limit).summary["messages"]["rejected"] == 0


# SQS -> Lambda with a DLQ -------------------------------------------------------------------
def test_poison_message_is_received_five_times_a_visibility_timeout_apart_then_dead_lettered() -> None:
    result = run_example("sqs-lambda-dlq")
    poisoned = [t for t in by_trace(result.segments).values()
                if any(s.name == "OrdersDLQ" for s in t)]
    assert len(poisoned) == result.summary["messages"]["dead_lettered"] > 0
    for trace in poisoned:
        attempts = sorted((s for s in trace if s.name == "Processor"), key=lambda s: s.start_time)
        assert [s.annotations["receive_count"] for s in attempts] == [1, 2, 3, 4, 5]
        assert all(s.annotations["outcome"] == "error" for s in attempts)
        starts = [seconds(s.start_time) for s in attempts]
        assert all(later - earlier >= 30.0 for earlier, later in itertools.pairwise(starts))
        assert [s.annotations["outcome"] for s in trace if s.name == "Orders"][-1] == "dead_lettered"


def test_without_batch_item_failures_a_poison_message_drags_its_batch_into_the_dlq() -> None:
    with_reports = run_example("sqs-lambda-dlq")

    def without_reports(document: dict[str, Any]) -> None:
        del connection(document, "event_source")["properties"]["FunctionResponseTypes"]

    without = run_example("sqs-lambda-dlq", without_reports)
    sent = with_reports.component("Orders")["NumberOfMessagesSent"]
    poison = with_reports.summary["messages"]["dead_lettered"]
    # With reports only the poison messages come back (4 more receives each, plus rare duplicates).
    extra = with_reports.component("Orders")["NumberOfMessagesReceived"] - sent
    assert extra <= 4 * poison + with_reports.summary["messages"]["duplicate_deliveries"]
    # Without, each poison message fails its batch every time: its batch-mates share its fate.
    assert without.summary["messages"]["dead_lettered"] >= 5 * poison


# The visibility timeout mistake ------------------------------------------------------------
def rendered_twice(result: Run) -> int:
    done = Counter(s.annotations["message_id"] for s in result.named("Renderer") if s.annotations["outcome"] == "ok")
    return sum(1 for count in done.values() if count > 1)


def test_visibility_timeout_equal_to_the_function_timeout_renders_jobs_twice_and_dead_letters_good_ones() -> None:
    mistake = run_example("sqs-visibility-timeout-mistake")
    assert rendered_twice(mistake) > 0
    # Each second rendering is a duplicate in the summary, as the traces show it.
    done = Counter(s.annotations["message_id"] for s in mistake.named("Renderer") if s.annotations["outcome"] == "ok")
    assert mistake.summary["messages"]["duplicate_deliveries"] == sum(count - 1 for count in done.values()) > 0
    assert mistake.component("Renderer")["Errors"] == 0
    assert mistake.summary["messages"]["dead_lettered"] > 0
    rules = {p.rule for p in findings(mistake.sim.topology)}
    assert "visibility_timeout_below_6x_function_timeout" in rules

    def six_times(document: dict[str, Any]) -> None:
        component(document, "Jobs")["properties"]["VisibilityTimeout"] = 180

    fixed = run_example("sqs-visibility-timeout-mistake", six_times)
    assert rendered_twice(fixed) == 0
    assert fixed.summary["messages"]["duplicate_deliveries"] == 0
    assert fixed.summary["messages"]["dead_lettered"] == 0
    assert fixed.component("Renderer")["Invocations"] == fixed.component("Jobs")["NumberOfMessagesSent"]


# Scalable Webhook --------------------------------------------------------------------------
def test_scalable_webhook_keeps_the_database_under_its_connection_limit_during_the_spike() -> None:
    result = run_example("scalable-webhook")
    database = result.component("Orders")
    assert database["ConnectionsRefused"] == 0
    assert database["DatabaseConnections"] <= 10 < 40
    assert result.summary["messages"]["rejected"] == 0
    assert result.summary["messages"]["completed"] == result.summary["messages"]["accepted"]
    # The queue absorbed the burst: messages waited in it.
    assert result.component("Inbox")["ApproximateAgeOfOldestMessage"] >= 1


def test_naive_webhook_overflows_the_database_connections_during_the_spike() -> None:
    result = run_example("scalable-webhook-naive")
    database = result.component("Orders")
    assert database["DatabaseConnections"] == 40
    assert database["ConnectionsRefused"] > 0
    assert result.component("Writer")["ConcurrentExecutions"] > 40
    assert result.component("Webhook")["5XXError"] == result.summary["messages"]["rejected"] > 0


# SNS filtering -----------------------------------------------------------------------------
def test_each_sns_subscriber_receives_exactly_the_messages_its_filter_matches() -> None:
    result = run_example("sns-filtering")
    everything = {}
    for stay in result.named("AllOrders"):
        if stay.metadata:
            envelope = stay.metadata["message"]["payload"]
            everything[stay.annotations["message_id"]] = (stay.metadata["sqs"]["MessageAttributes"],
                                                          json.loads(envelope["Message"]))
    assert len(everything) == result.component("OrderEvents")["NumberOfMessagesPublished"]

    def received(queue: str) -> set[str]:
        return {s.annotations["message_id"] for s in result.named(queue)}

    assert received("EuropeOrders") == {m for m, (attrs, _) in everything.items() if attrs["store"] == "eu"}
    assert received("LargeOrders") == {m for m, (_, body) in everything.items() if body["amount"] >= 400}
    topic = result.component("OrderEvents")
    assert topic["NumberOfNotificationsFilteredOut"] == 3 * len(everything) - topic["NumberOfNotificationsDelivered"]


# Lambda destinations -----------------------------------------------------------------------
def test_destinations_receive_success_and_failure_records_after_async_retries() -> None:
    result = run_example("lambda-destinations")
    records = {s.annotations["message_id"]: s.metadata["lambda"]["record"]
               for s in result.named("Thumbnailer", "AWS::Lambda")}
    conditions = Counter(r["requestContext"]["condition"] for r in records.values())
    summary = result.summary["messages"]
    assert conditions == {"Success": summary["completed"], "RetriesExhausted": summary["dead_lettered"]}
    assert result.component("Done")["NumberOfMessagesSent"] == summary["completed"]
    assert result.component("Failed")["NumberOfMessagesSent"] == summary["dead_lettered"] > 0
    assert summary["lost"] == 0
    for message_id, record in records.items():
        if record["requestContext"]["condition"] != "RetriesExhausted":
            continue
        attempts = sorted((s for s in result.named("Thumbnailer", "AWS::Lambda::Function")
                           if s.annotations["message_id"] == message_id), key=lambda s: s.start_time)
        assert [s.annotations["attempt"] for s in attempts] == [1, 2, 3]
        gaps = [seconds(b.start_time) - seconds(a.end_time) for a, b in itertools.pairwise(attempts)]
        assert gaps == [pytest.approx(60.0, abs=0.1), pytest.approx(120.0, abs=0.1)]


# FIFO ordering ----------------------------------------------------------------------------
def test_fifo_keeps_order_per_group_and_a_poison_message_blocks_only_its_group() -> None:
    result = run_example("fifo-ordering")
    group_of = {s.annotations["message_id"]: s.aws["message_group_id"]  # type: ignore[index]
                for s in result.named("AccountEvents")}
    processed = sorted((s for s in result.named("Ledger") if s.annotations["outcome"] == "ok"),
                       key=lambda s: s.start_time)
    per_group: dict[str, list[str]] = defaultdict(list)
    for segment in processed:
        per_group[group_of[segment.annotations["message_id"]]].append(segment.annotations["message_id"])
    for order in per_group.values():
        assert order == sorted(order)  # message ids are given in send order
    poisoned = {s.annotations["message_id"] for s in result.named("AccountEventsDLQ")}
    assert len(poisoned) == result.summary["messages"]["dead_lettered"] > 0
    for message_id in poisoned:
        tries = [s for s in result.named("Ledger") if s.annotations["message_id"] == message_id]
        blocked_from = min(seconds(s.start_time) for s in tries)
        # Until the poison message moved to the DLQ (where its stay starts).
        blocked_until = next(seconds(s.start_time) for s in result.named("AccountEventsDLQ")
                             if s.annotations["message_id"] == message_id)
        # The group's next message may start in the same microsecond as the move: exclude that instant.
        inside = [s for s in processed if blocked_from < seconds(s.start_time) < blocked_until - 1e-6]
        groups_inside = {group_of[s.annotations["message_id"]] for s in inside}
        assert group_of[message_id] not in groups_inside
        if blocked_from < 25.0:
            assert groups_inside  # while events still arrive, the other accounts keep moving


# Saga Step Function -----------------------------------------------------------------------
def state_visits(execution: Segment) -> list[str]:
    """The states an execution went through, in order (its state subsegments)."""
    return [sub.name for sub in execution.subsegments or [] if sub.annotations and "state_type" in sub.annotations]


def test_saga_runs_the_compensations_of_what_was_booked_in_reverse_order() -> None:
    result = run_example("saga-step-function")
    seen: Counter[str] = Counter()
    for segments in by_trace(result.segments).values():
        (execution,) = [s for s in segments if s.name == "BookTrip"]
        functions = sorted((s for s in segments if s.origin == "AWS::Lambda::Function"), key=lambda s: s.start_time)
        called = [s.name for s in functions]
        failed = [s.name for s in functions if s.fault]
        if failed == ["BookCarFn"]:
            assert called == ["BookHotelFn", "BookFlightFn", "BookCarFn", "CancelFlightFn", "CancelHotelFn"]
            assert state_visits(execution) == ["BookHotel", "BookFlight", "BookCar", "CancelFlight", "CancelHotel",
                                               "TripFailed"]
            seen["car failed"] += 1
        elif failed == ["BookFlightFn"]:
            assert called == ["BookHotelFn", "BookFlightFn", "CancelHotelFn"]
            assert state_visits(execution) == ["BookHotel", "BookFlight", "CancelHotel", "TripFailed"]
            seen["flight failed"] += 1
        else:
            assert failed == []
            assert called == ["BookHotelFn", "BookFlightFn", "BookCarFn"]
            assert state_visits(execution) == ["BookHotel", "BookFlight", "BookCar", "TripBooked"]
            seen["booked"] += 1
        if failed:
            assert execution.annotations["execution_status"] == "FAILED"
            assert execution.cause["exceptions"][0]["type"] == "TripBookingFailed"  # type: ignore[index]
    assert seen["car failed"] > 0 and seen["flight failed"] > 0 and seen["booked"] > 0
    metrics = result.component("BookTrip")
    assert metrics["ExecutionsFailed"] == seen["car failed"] + seen["flight failed"]
    assert metrics["ExecutionsSucceeded"] == seen["booked"]


# State Machine with Retry and Catch -------------------------------------------------------
def test_state_machine_retries_with_backoff_then_catches_to_the_fallback() -> None:
    result = run_example("state-machine-retry-catch")
    outcomes: Counter[str] = Counter()
    for segments in by_trace(result.segments).values():
        (execution,) = [s for s in segments if s.name == "OrderFlow"]
        charges = [sub for sub in execution.subsegments or [] if sub.name == "ChargeFn"]
        # Retry: 2 s after the first failure, then 4 s, then 8 s (IntervalSeconds 2, BackoffRate 2).
        gaps = [seconds(b.start_time) - seconds(a.end_time) for a, b in itertools.pairwise(charges)]
        assert gaps == [pytest.approx(2.0 * 2**k) for k in range(len(gaps))]
        assert all(charge.fault for charge in charges[:-1])
        ended_in = {s.name for s in segments} & {"ShipFn", "PaymentFailedFn"}
        assert len(ended_in) == 1
        if ended_in == {"PaymentFailedFn"}:
            assert len(charges) == 4 and all(charge.fault for charge in charges)
        else:
            assert not charges[-1].fault
        outcomes[ended_in.pop()] += 1
        outcomes[f"{len(charges)} attempts"] += 1
    assert outcomes["PaymentFailedFn"] > 0
    assert outcomes["2 attempts"] > 0 and outcomes["3 attempts"] > 0
    # Retry saves most orders the payment service fails once: far fewer fall back than the 40% failure rate.
    assert outcomes["PaymentFailedFn"] < 0.1 * result.summary["messages"]["accepted"]
    assert result.component("OrderFlow")["ExecutionsFailed"] == 0
def test_kinesis_bisect_isolates_each_bad_record_and_the_rest_of_the_shard_proceeds() -> None:
    result = run_example("kinesis-bisect")
    messages = result.summary["messages"]
    # Every good record is processed; each of the three bad ones is skipped alone.
    assert (messages["completed"], messages["dead_lettered"], messages["in_flight"]) == (6000, 3, 0)
    skipped = [s.metadata["lambda"]["record"] for s in result.named("Aggregator", "AWS::Lambda") if s.metadata]
    assert len(skipped) == 3
    assert all(record["KinesisBatchInfo"]["batchSize"] == 1 for record in skipped)
    assert all(record["requestContext"]["condition"] == "RetryAttemptsExhausted" for record in skipped)
    assert result.component("SkippedBatches")["NumberOfMessagesSent"] == 3
    # Isolating a bad record holds its shard up for seconds, not for the run.
    assert result.component("Aggregator")["IteratorAge"]["max"] < 10_000


def test_kinesis_without_bisect_or_retry_limit_blocks_the_shard_for_the_whole_run() -> None:
    def defaults(document: dict[str, Any]) -> None:
        properties = connection(document, "event_source")["properties"]
        del properties["BisectBatchOnFunctionError"], properties["MaximumRetryAttempts"]

    result = run_example("kinesis-bisect", defaults)
    messages = result.summary["messages"]
    assert messages["in_flight"] > 1000
    assert messages["dead_lettered"] == 0
    assert result.component("Aggregator")["IteratorAge"]["max"] > 200_000
    assert result.component("SkippedBatches")["NumberOfMessagesSent"] == 0


def test_streamer_keeps_shard_order_refuses_past_1000_records_a_second_and_buffers_delivery() -> None:
    result = run_example("streamer")
    puts = sorted((s for s in result.named("Events") if s.annotations["outcome"] == "ok"), key=lambda s: s.start_time)
    numbers = [int(str(s.annotations["sequence_number"])) for s in puts]
    assert numbers == sorted(numbers)
    refused = [s for s in result.named("Events") if s.annotations["outcome"] == "throttled"]
    assert result.component("Events")["WriteProvisionedThroughputExceeded"] == len(refused) > 3000
    assert all(20 <= seconds(s.start_time) < 31 for s in refused)
    assert result.component("Ingest")["4XXError"] == len(refused)
    # Buffered: a handful of objects for 21,000 records, by size during the spike, by interval at the end.
    objects = result.component("ToLake")["DeliveryToS3.ObjectCount"]
    assert 3 <= objects <= 10
    assert result.component("Lake")["NumberOfObjects"] == objects
    freshness = result.component("ToLake")["DeliveryToS3.DataFreshness"]
    assert 55_000 <= freshness["max"] <= 61_000
    assert result.summary["messages"]["completed"] == result.component("Events")["IncomingRecords"]


def test_streamer_with_two_shards_takes_the_spike() -> None:
    def two_shards(document: dict[str, Any]) -> None:
        component(document, "Events")["properties"]["ShardCount"] = 2

    result = run_example("streamer", two_shards)
    assert result.component("Events")["WriteProvisionedThroughputExceeded"] == 0


def test_dynamo_streamer_has_no_lambda_on_the_write_path() -> None:
    result = run_example("dynamo-streamer")
    api = result.named("OrdersApi")
    assert all({sub.name for sub in s.subsegments or ()} == {"Orders"} for s in api)
    assert result.component("OrdersApi")["Latency"]["p99"] < 50
    fulfil = result.named("Fulfil")
    assert len(fulfil) == result.summary["messages"]["accepted"]
    traces = by_trace(result.segments)
    for segment in fulfil[:50]:
        names = {s.name for s in traces[segment.trace_id]}
        assert names == {"OrdersApi", "Fulfil"}
        first = min(s.start_time for s in traces[segment.trace_id])
        # Started by the stream within about a quarter of a second of the write.
        assert seconds(segment.start_time) - seconds(first) < 1.5
    assert result.component("Fulfil")["IteratorAge"]["max"] < 500
# EventBridge fan-out with an input transformer ------------------------------------------------
def test_eventbridge_fans_each_placed_order_out_to_billing_whole_and_to_shipping_transformed() -> None:
    result = run_example("eventbridge-fan-out")
    events = {s.annotations["message_id"]: s.metadata["eventbridge"]["event"]  # type: ignore[index]
              for s in result.named("Orders") if s.annotations["attempt"] == 1}
    placed = {m for m, e in events.items() if e["detail-type"] == "OrderPlaced"}
    assert 0 < len(placed) < len(events) == result.summary["messages"]["accepted"]
    billing = {s.annotations["message_id"]: s.metadata["message"]["payload"]  # type: ignore[index]
               for s in result.named("Billing")}
    shipping = {s.annotations["message_id"]: s.metadata["message"]["payload"]  # type: ignore[index]
                for s in result.named("Shipping") if s.metadata}
    audit = {s.annotations["message_id"] for s in result.named("Audit")}
    assert set(billing) == set(shipping) == placed
    assert audit == set(events)
    for message_id in placed:
        event = events[message_id]
        assert billing[message_id] == event  # the whole envelope, the order under detail
        assert shipping[message_id] == {"order": event["detail"]["order"],
                                        "country": event["detail"]["address"]["country"],
                                        "items": event["detail"]["items"], "rule": "OrderPlaced",
                                        "placedAt": event["time"]}
    bus = result.component("Orders")
    assert bus["MatchedEvents"] == len(events)
    assert bus["TriggeredRules"] == len(events) + len(placed)
    assert bus["Invocations"] == len(events) + 2 * len(placed)
    assert result.summary["messages"]["completed"] == len(events)
    for segments in by_trace(result.segments).values():
        if any(s.annotations["message_id"] in placed for s in segments):
            assert {"Checkout", "Orders", "Billing", "Shipping", "Shipper", "Audit"} <= {s.name for s in segments}


# Gatekeeper ----------------------------------------------------------------------------------
def test_gatekeeper_runs_the_authorizer_once_per_token_per_ttl_and_denied_calls_never_reach_the_backend() -> None:
    result = run_example("gatekeeper")
    api = result.component("Api")
    tokens = {s.metadata["message"]["attributes"]["Authorization"]  # type: ignore[index]
              for s in result.named("Callers")}
    assert len(tokens) == 5
    # 600 s of traffic with a 300 s TTL: each token's policy is asked for at most 3 times (at its first
    # request, then after each expiry), whatever the number of requests.
    assert len(tokens) <= api["AuthorizerInvocations"] <= 3 * len(tokens)
    assert result.component("TokenCheck")["Invocations"] == api["AuthorizerInvocations"]
    assert api["AuthorizerCacheHits"] > 100 * api["AuthorizerInvocations"]
    by_message = {s.annotations["message_id"]: s for s in result.named("Api")}
    revoked_ids = {s.annotations["message_id"] for s in result.named("Callers")
                   if s.metadata["message"]["attributes"]["Authorization"].startswith("revoked-")}  # type: ignore[index]
    assert revoked_ids
    assert {by_message[m].http["response"]["status"] for m in revoked_ids} == {403}  # type: ignore[index]
    reached = {s.annotations["message_id"] for s in result.named("Orders")}
    assert not reached & revoked_ids
    allowed = {m for m, s in by_message.items() if s.http["response"]["status"] == 200}  # type: ignore[index]
    assert reached == allowed and len(allowed) + len(revoked_ids) == len(by_message)


# Read-Heavy Reporting Engine -------------------------------------------------------------------
def test_the_cache_hit_ratio_keeps_the_database_under_its_connection_limit() -> None:
    cached = run_example("read-heavy-reporting")
    cache, database = cached.component("ReportCache"), cached.component("Warehouse")
    assert cache["CacheHitRate"] == pytest.approx(90, abs=2)
    assert database["Queries"] == cache["CacheMisses"]
    assert database["ConnectionsRefused"] == 0 and database["DatabaseConnections"] <= 40 * 0.6
    assert cached.summary["messages"]["completed"] == cached.summary["messages"]["accepted"]

    def no_cache(document: dict[str, Any]) -> None:
        component(document, "ReportCache")["behavior"]["hit_ratio"] = 0.0

    uncached = run_example("read-heavy-reporting", no_cache)
    database = uncached.component("Warehouse")
    assert database["DatabaseConnections"] == 40
    assert database["ConnectionsRefused"] > 0
    assert uncached.component("Reports")["ConcurrentExecutions"] > 40
    assert uncached.component("Reports")["Errors"] == database["ConnectionsRefused"]
    assert uncached.summary["messages"]["rejected"] == database["ConnectionsRefused"]


# Circuit Breaker -----------------------------------------------------------------------------
def test_the_circuit_breaker_fails_fast_during_the_outage_probes_and_closes_after_recovery() -> None:
    result = run_example("circuit-breaker")
    breaker = result.component("Breaker")
    transitions = breaker["Transitions"]
    states = [t["state"] for t in transitions]
    # Open, a probe that fails while the API is down (open again)..., then a probe that succeeds.
    assert states == ["open", "half_open"] * (len(states) // 2) + ["closed"] and len(states) >= 5
    opened_at, closed_at = transitions[0]["at_s"], transitions[-1]["at_s"]
    assert 30 <= opened_at < 32  # five failures in a row (at 10 calls a second), early in the outage
    assert 60 <= closed_at <= 60 + 10 + 1  # the first probe after the outage
    for earlier, later in itertools.pairwise(transitions):
        if earlier["state"] == "open":
            assert later["at_s"] >= earlier["at_s"] + 10  # open for open_s before a probe
    during = [s for s in result.named("Breaker") if opened_at < seconds(s.start_time) < closed_at]
    rejected = [s for s in during if s.annotations["outcome"] == "rejected"]
    probes = [s for s in during if s.annotations.get("probe")]
    # Open or half-open: only the probes reach the API; every other call fails fast.
    assert len(rejected) == len(during) - len(probes) > 200
    assert all(not any(sub.name == "ShippingPartner" for sub in s.subsegments or []) for s in rejected)
    assert max((seconds(s.end_time) - seconds(s.start_time)) * 1000 for s in rejected) < 20
    assert breaker["CallsRejected"] == len(rejected)
    after = [s for s in result.named("Breaker") if seconds(s.start_time) > closed_at + 1]
    assert after and sum(s.annotations["outcome"] == "ok" for s in after) >= 0.95 * len(after)


# Strangler ------------------------------------------------------------------------------------
def test_strangler_splits_traffic_by_route_and_keeps_legacy_failures_on_the_legacy_route() -> None:
    result = run_example("strangler")
    paths = {s.annotations["message_id"]: s.metadata["message"]["payload"]["path"]  # type: ignore[index]
             for s in result.named("Clients")}
    api = {s.annotations["message_id"]: s for s in result.named("Api")}
    routed = {m: {sub.name for sub in s.subsegments or []} for m, s in api.items()}
    catalog = {m for m, p in paths.items() if p.startswith("/catalog")}
    orders = set(paths) - catalog
    assert catalog and orders
    assert all(routed[m] == {"Catalog"} for m in catalog)
    assert all(routed[m] == {"LegacyOrders"} for m in orders)
    status = {m: s.http["response"]["status"] for m, s in api.items()}  # type: ignore[index]
    assert all(status[m] == 200 for m in catalog)
    failed_orders = {m for m in orders if status[m] != 200}
    during_outage = {m for m in orders if 40 <= seconds(api[m].start_time) < 70}
    assert during_outage <= failed_orders
    assert {status[m] for m in during_outage} == {503}
    assert result.summary["messages"]["rejected"] == len(failed_orders) == result.component("Api")["5XXError"]

    def median_ms(segments: list[Segment]) -> float:
        durations = sorted((seconds(s.end_time) - seconds(s.start_time)) * 1000 for s in segments)
        return durations[len(durations) // 2]

    inside = [api[m] for m in catalog if 40 <= seconds(api[m].start_time) < 70]
    outside = [api[m] for m in catalog if not 40 <= seconds(api[m].start_time) < 70]
    assert median_ms(inside) == pytest.approx(median_ms(outside), rel=0.2)


def test_eventually_consistent_lag_grows_only_in_the_shard_a_failing_record_blocks() -> None:
    result = run_example("eventually-consistent")
    messages = result.summary["messages"]
    # The bad order and the good one in its batch are skipped; every other order is projected.
    assert (messages["dead_lettered"], messages["completed"]) == (2, messages["accepted"] - 2)
    assert result.component("Unprojected")["NumberOfMessagesSent"] == 1
    assert result.component("Reporting")["Queries"] == messages["accepted"] - 2
    projector = [s for s in result.named("Projector", "AWS::Lambda::Function") if s.annotations["outcome"] == "ok"]
    traces = by_trace(result.segments)

    def lag(segment: Segment) -> float:
        return seconds(segment.start_time) - min(seconds(s.start_time) for s in traces[segment.trace_id])

    failing = next(s for s in result.named("Projector", "AWS::Lambda::Function") if s.annotations["outcome"] == "error")
    blocked_shard = failing.annotations["shard_id"]
    during = [s for s in projector if 20.0 <= seconds(s.start_time) <= 24.0]
    blocked = [lag(s) for s in during if s.annotations["shard_id"] == blocked_shard]
    others = [lag(s) for s in during if s.annotations["shard_id"] != blocked_shard]
    assert blocked and others
    assert max(blocked) > 2.0
    assert max(others) < 0.5
    # Outside the incident the copy lags by less than half a second.
    assert all(lag(s) < 0.5 for s in projector if seconds(s.start_time) < 19.0)


# Internal API --------------------------------------------------------------------------------
def test_internal_api_caller_waits_and_pays_for_the_callees_duration() -> None:
    result = run_example("internal-api")
    checkouts = {s.annotations["message_id"]: s for s in result.named("Checkout")}
    pricing = {s.annotations["message_id"]: s for s in result.named("Pricing")}
    assert checkouts.keys() == pricing.keys() and len(checkouts) == result.summary["messages"]["accepted"]
    for message_id, caller in checkouts.items():
        callee = pricing[message_id]
        assert caller.start_time < callee.start_time and callee.end_time <= caller.end_time  # type: ignore[operator]
    checkout, priced = result.component("Checkout"), result.component("Pricing")
    # Its own work is ~40 ms, yet the caller is billed for longer than the 600 ms callee.
    assert checkout["Duration"]["p50"] > priced["Duration"]["p50"] > 500
    cost = result.summary["cost_usd"]["by_component"]
    assert cost["Checkout"] >= cost["Pricing"] > 0

    def fast_pricing(document: dict[str, Any]) -> None:
        component(document, "Pricing")["behavior"]["duration_ms"] = {"median": 50, "p99": 150}

    faster = run_example("internal-api", fast_pricing)
    assert faster.component("Checkout")["Duration"]["p50"] < 150
    assert faster.summary["cost_usd"]["by_component"]["Checkout"] < cost["Checkout"] / 2


# Internal Handoff ----------------------------------------------------------------------------
def test_internal_handoff_retries_twice_a_minute_then_two_apart_dead_letters_and_duplicates_work() -> None:
    result = run_example("internal-handoff")
    # The caller answers without waiting for fulfilment.
    assert result.component("Checkout")["Duration"]["p99"] < 150
    retried = dead = 0
    for trace in by_trace(result.segments).values():
        attempts = sorted((s for s in trace if s.name == "Fulfil" and s.annotations["outcome"] != "dead_letter"),
                          key=lambda s: s.start_time)
        assert [s.annotations["attempt"] for s in attempts] == list(range(1, len(attempts) + 1)) and len(attempts) <= 3
        gaps = [seconds(b.start_time) - seconds(a.end_time) for a, b in itertools.pairwise(attempts)]
        assert gaps == [pytest.approx(60.0 * 2**k, abs=0.5) for k in range(len(gaps))]
        assert all(a.annotations["outcome"] == "error" for a in attempts[:-1])
        if any(s.name == "FulfilDLQ" for s in trace):
            assert len(attempts) == 3 and attempts[-1].annotations["outcome"] == "error"
            dead += 1
        retried += len(attempts) > 1
    assert retried > 50
    assert dead == result.summary["messages"]["dead_lettered"] > 0
    assert result.component("FulfilDLQ")["NumberOfMessagesSent"] == dead
    # Each attempt writes the shipment again before the courier call fails: duplicates.
    writes = Counter(s.annotations["message_id"] for s in result.named("Fulfil")
                     for sub in s.subsegments or [] if sub.name == "Shipments")
    assert sum(writes.values()) == result.component("Shipments")["ConsumedWriteCapacityUnits"]
    assert sum(1 for count in writes.values() if count > 1) == retried


# Aggregator ----------------------------------------------------------------------------------
def test_aggregator_is_as_slow_as_its_slowest_call_and_one_failing_call_fails_the_whole() -> None:
    result = run_example("aggregator")
    calls = ("Stock", "ShippingRates", "TaxService")
    slowest: Counter[str] = Counter()
    for quote in result.named("Quote"):
        subs = {sub.name: seconds(sub.end_time) - seconds(sub.start_time) for sub in quote.subsegments or []
                if sub.name in calls}
        assert max(subs.values()) < seconds(quote.end_time) - seconds(quote.start_time)
        slowest[max(subs, key=lambda name: subs[name])] += 1
    assert slowest["ShippingRates"] > 0.9 * sum(slowest.values())
    api = {s.annotations["message_id"]: s for s in result.named("Api")}
    failed = {m for m, s in api.items() if s.http["response"]["status"] != 200}  # type: ignore[index]
    asked_tax_during_outage = {s.annotations["message_id"] for s in result.named("Quote")
                               for sub in s.subsegments or []
                               if sub.name == "TaxService" and 20 <= seconds(sub.start_time) < 30}
    # Exactly the quotes that asked the tax service while it was down failed, though stock and shipping answered.
    assert failed == asked_tax_during_outage and len(failed) > 50
    assert len(failed) == result.summary["messages"]["rejected"] == result.component("Api")["5XXError"]
    assert result.component("ShippingRates")["5XXError"] == 0


# Notifier ------------------------------------------------------------------------------------
def test_notifier_publishes_once_and_each_subscriber_gets_its_own_independent_delivery() -> None:
    result = run_example("notifier")
    shipments = result.summary["messages"]["accepted"]
    topic = result.component("ShipmentEvents")
    assert topic["NumberOfMessagesPublished"] == shipments
    assert topic["NumberOfNotificationsDelivered"] == 3 * shipments
    assert result.component("EmailQueue")["NumberOfMessagesSent"] == shipments
    assert result.component("SendSms")["Invocations"] == shipments
    webhook = [(s.trace_id, sub) for s in result.named("ShipmentEvents") for sub in s.subsegments or []
               if sub.name == "PartnerWebhook"]
    assert len({trace_id for trace_id, sub in webhook if not sub.fault}) == shipments
    # The webhook's outage is retried by SNS; the other subscribers are served at once meanwhile.
    assert topic["NumberOfNotificationsFailed"] == result.component("PartnerWebhook")["5XXError"] > 0
    assert all(20 <= seconds(sub.start_time) < 40 for _, sub in webhook if sub.fault)
    traces = by_trace(result.segments)
    during = [s for s in result.named("Shipped") if 20 <= seconds(s.start_time) < 39]
    assert during
    for shipped in during:
        trace = traces[shipped.trace_id]
        sms = next(s for s in trace if s.name == "SendSms")
        assert seconds(sms.start_time) - seconds(shipped.start_time) < 2
        late = min(seconds(sub.start_time) for s in trace if s.name == "ShipmentEvents" for sub in s.subsegments or []
                   if sub.name == "PartnerWebhook" and not sub.fault)
        assert late >= 40
    assert result.component("Shipped")["Duration"]["p99"] < 200
    assert result.summary["messages"]["completed"] == shipments


# Router --------------------------------------------------------------------------------------
def test_router_sends_each_message_to_exactly_one_task_type() -> None:
    result = run_example("router")
    handler_of = {"refund": "Refunds", "exchange": "Exchanges", "question": "Questions", "complaint": "Questions"}
    handlers = set(handler_of.values())
    for route in result.named("Route"):
        called = [sub.name for sub in route.subsegments or [] if sub.name in handlers]
        assert called == [handler_of[route.metadata["message"]["payload"]["type"]]]  # type: ignore[index]
    invocations = [result.component(name)["Invocations"] for name in sorted(handlers)]
    assert sum(invocations) == result.summary["messages"]["accepted"] == result.summary["messages"]["completed"]
    assert min(invocations) > 100


# Frugal Consumer -----------------------------------------------------------------------------
def test_frugal_consumer_queue_absorbs_the_burst_while_concurrency_and_cost_stay_flat() -> None:
    frugal = run_example("frugal-consumer")
    welcome = frugal.component("Welcome")
    assert welcome["ConcurrentExecutions"] == 2 and welcome["ColdStarts"] == 2
    messages = frugal.summary["messages"]
    assert messages["completed"] == messages["accepted"] > 2000 and messages["dead_lettered"] == 0
    # The backlog waited in the queue instead of scaling the function out.
    assert frugal.component("Signups")["ApproximateAgeOfOldestMessage"] > 120

    def unbounded(document: dict[str, Any]) -> None:
        del connection(document, "event_source")["properties"]["ScalingConfig"]

    scaled = run_example("frugal-consumer", unbounded)
    assert scaled.component("Welcome")["ConcurrentExecutions"] > 20
    assert scaled.component("Signups")["ApproximateAgeOfOldestMessage"] < 10
    cost, scaled_cost = (r.summary["cost_usd"]["by_component"]["Welcome"] for r in (frugal, scaled))
    assert cost == pytest.approx(scaled_cost, rel=0.15)


# Fan-Out/Fan-In ------------------------------------------------------------------------------
def test_fan_out_fan_in_takes_as_long_as_the_slowest_worker_and_failed_chunks_reach_the_dlq() -> None:
    result = run_example("fan-out-fan-in")
    workers = ("ChunkA", "ChunkB", "ChunkC")
    complete = 0
    for trace in by_trace(result.segments).values():
        (split,) = [s for s in trace if s.name == "Split"]
        runs = {s.name: s for s in trace if s.name in workers and s.annotations["outcome"] in ("ok", "error")}
        assert set(runs) == set(workers)
        ends = [seconds(s.end_time) for s in runs.values()]
        durations = [seconds(s.end_time) - seconds(s.start_time) for s in runs.values()]
        # Side by side: the job ends with its slowest worker, well before the durations' sum.
        assert max(ends) - seconds(split.start_time) < max(durations) + 0.5
        assert max(ends) - seconds(split.start_time) < sum(durations)
        parts = {s.name for s in runs.values() for sub in s.subsegments or [] if sub.name == "ReportParts"}
        failed = {s.name for s in runs.values() if s.annotations["outcome"] == "error"}
        assert parts == set(workers) - failed
        assert any(s.name == "FailedChunks" for s in trace) == bool(failed)
        complete += not failed
    chunk_b = result.component("ChunkB")
    assert result.summary["messages"]["dead_lettered"] == chunk_b["Errors"] > 0
    assert result.component("FailedChunks")["NumberOfMessagesSent"] == chunk_b["Errors"]
    assert complete == result.summary["messages"]["completed"] > 0


# Distributed Trigger -------------------------------------------------------------------------
def test_distributed_trigger_gives_each_consumer_its_own_buffer_and_failure_domain() -> None:
    result = run_example("distributed-trigger")
    customers = result.summary["messages"]["accepted"]
    crm, billing = result.component("Crm"), result.component("Billing")
    assert crm["Errors"] > 100 and billing["Errors"] == 0
    # The CRM's failures come back through its own queue and are all handled after recovery.
    crm_queue = result.component("CrmQueue")
    assert crm_queue["NumberOfMessagesReceived"] > crm_queue["NumberOfMessagesSent"] == customers
    assert crm_queue["NumberOfMessagesDeleted"] == customers
    assert result.summary["messages"]["dead_lettered"] == result.summary["messages"]["lost"] == 0
    traces = by_trace(result.segments)
    during = [s for s in result.named("Register") if 30 <= seconds(s.start_time) < 55]
    assert during
    for register in during:
        trace = traces[register.trace_id]
        billed = [s for s in trace if s.name == "Billing" and s.annotations["outcome"] == "ok"]
        assert billed and seconds(billed[0].start_time) - seconds(register.start_time) < 1.5
        handled = [s for s in trace if s.name == "Crm" and s.annotations["outcome"] == "ok"]
        assert handled and seconds(handled[0].start_time) >= 60
    assert result.component("BillingQueue")["ApproximateAgeOfOldestMessage"] <= 1
    assert result.component("Register")["Errors"] == 0


# Big Fan -------------------------------------------------------------------------------------
def test_big_fan_routes_by_attribute_and_counts_what_the_filters_dropped() -> None:
    result = run_example("big-fan")
    types = {s.annotations["message_id"]: s.metadata["message"]["attributes"]["type"]  # type: ignore[index]
             for s in result.named("Shop")}
    wants = {"CreatedQueue": {"created"}, "CancelledQueue": {"cancelled"}, "MoneyQueue": {"created", "refunded"}}
    delivered = 0
    for queue, accepted_types in wants.items():
        received = {s.annotations["message_id"] for s in result.named(queue)}
        assert received == {m for m, t in types.items() if t in accepted_types}
        assert result.component(queue)["NumberOfMessagesSent"] == len(received)
        delivered += len(received)
    shipped = sum(1 for t in types.values() if t == "shipped")
    assert shipped > 0
    topic = result.component("OrderEvents")
    assert topic["NumberOfMessagesPublished"] == len(types)
    assert topic["NumberOfNotificationsDelivered"] == delivered
    assert topic["NumberOfNotificationsFilteredOut"] == 3 * len(types) - delivered
    assert result.summary["messages"]["completed"] == len(types)


def segment_tree(segments: list[Segment]) -> list[Segment]:
    """The segments and all their subsegments, at any depth."""
    found: list[Segment] = []
    pending = list(segments)
    while pending:
        segment = pending.pop()
        found.append(segment)
        pending.extend(segment.subsegments or [])
    return found


# X-Ray Tracer --------------------------------------------------------------------------------
def test_xray_tracer_keeps_one_message_in_one_trace_across_every_async_hop() -> None:
    result = run_example("xray-tracer")
    traces = by_trace(result.segments)
    assert len(traces) == result.summary["messages"]["accepted"]
    hops = {"Shop", "Api", "PlaceOrder", "OrderPlaced", "ShippingQueue", "Ship"}
    for trace in traces.values():
        assert {s.annotations["message_id"] for s in trace} == {trace[0].annotations["message_id"]}
        assert hops <= {s.name for s in trace}
        ids = {s.id for s in segment_tree(trace)}
        roots = [s for s in trace if s.parent_id is None]
        assert [s.name for s in roots] == ["Shop"]
        assert all(s.parent_id in ids for s in trace if s.parent_id is not None)
        (ship,) = [s for s in trace if s.name == "Ship"]
        assert {sub.name for sub in ship.subsegments or []} >= {"Shipments", "Courier"}


# Robust API ----------------------------------------------------------------------------------
def test_robust_api_routes_fail_independently_except_through_a_shared_store() -> None:
    result = run_example("robust-api")
    routes = {s.annotations["message_id"]: s.metadata["message"]["payload"]["route"]  # type: ignore[index]
              for s in result.named("Clients")}
    api = {s.annotations["message_id"]: s for s in result.named("Api")}
    failed: dict[str, list[float]] = defaultdict(list)
    served: Counter[str] = Counter()
    for message_id, segment in api.items():
        if segment.http["response"]["status"] == 200:  # type: ignore[index]
            served[routes[message_id]] += 1
        else:
            failed[routes[message_id]].append(seconds(segment.start_time))

    def within(times: list[float], start: float, end: float) -> list[float]:
        return [t for t in times if start - 3 <= t < end]

    assert "GET /profile" not in failed and served["GET /profile"] > 300
    # The payment outage fails only the route that pays; the table outage both routes that share it.
    assert within(failed["GET /orders"], 60, 70) == failed["GET /orders"] != []
    post = failed["POST /orders"]
    assert within(post, 20, 40) and within(post, 60, 70)
    assert len(within(post, 20, 40)) + len(within(post, 60, 70)) == len(post)
    assert sum(len(times) for times in failed.values()) == result.summary["messages"]["rejected"]
    profile = result.component("GetProfile")
    assert profile["Errors"] == 0 and profile["Duration"]["p99"] < 100


# Step Functions patterns ---------------------------------------------------------------------
def test_step_functions_patterns_loop_and_map_call_a_function_again_without_counting_duplicates() -> None:
    result = run_example("step-functions-patterns")
    labels = Counter(s.annotations["message_id"] for s in result.named("LabelFn", "AWS::Lambda::Function")
                     if s.annotations["outcome"] == "ok")
    # The same message labelled many times over, each by a Task's own call: new work, not a redelivery.
    assert max(labels.values()) > 1
    assert result.summary["messages"]["duplicate_deliveries"] == 0


def test_step_functions_patterns_show_each_constructs_control_flow_in_the_trace() -> None:
    result = run_example("step-functions-patterns")
    seen: Counter[str] = Counter()
    for trace in by_trace(result.segments).values():
        (execution,) = [s for s in trace if s.name == "OrderWorkflow" and "execution_status" in s.annotations]
        visits = state_visits(execution)
        states = {sub.name: sub for sub in execution.subsegments or [] if sub.annotations}
        amount = next(s for s in trace if s.name == "Shop").metadata["message"]["payload"]["amount"]  # type: ignore[index]
        # Sequence and choice: only orders of 200 or more wait for approval.
        assert visits[:2] == ["Validate", "NeedsApproval"]
        assert ("Approve" in visits) == (amount >= 200)
        if amount >= 200:
            seen["approved"] += 1
            approver = next(s for s in trace if s.name == "Approver")
            approve = states["Approve"]
            # Callback: the Task waits until the approver has done its work and sent the token back.
            assert seconds(approve.end_time) >= seconds(approver.end_time) > seconds(approve.start_time) + 1
        # Parallel: both branches start together and the state ends with the later one.
        reserve, invoice = states["ReserveStock"], states["WriteInvoice"]
        assert max(seconds(reserve.start_time), seconds(invoice.start_time)) < min(
            seconds(reserve.end_time), seconds(invoice.end_time))
        assert seconds(states["Fulfil"].end_time) >= max(seconds(reserve.end_time), seconds(invoice.end_time))
        # Try/catch/finally: the cart is released exactly once on both paths.
        charge = next(sub for sub in execution.subsegments or [] if sub.name == "ChargeFn")
        after = visits[visits.index("Charge") + 1:]
        assert visits.count("ReleaseCart") == 1
        if charge.fault:
            seen["declined"] += 1
            assert after == ["RecordFailure", "ReleaseCart", "Paid", "PaymentFailed"]
            assert execution.annotations["execution_status"] == "FAILED"
        else:
            seen["shipped"] += 1
            # Loop: three labels, then out.
            assert after == ["ReleaseCart", "Paid", "StartLabels"] + ["PrintLabel", "CountLabel", "MoreLabels"] * 3 + [
                "Shipped"]
            assert execution.annotations["execution_status"] == "SUCCEEDED"
    assert seen["approved"] > 0 and seen["declined"] > 0 and seen["shipped"] > 0
    metrics = result.component("OrderWorkflow")
    assert (metrics["ExecutionsFailed"], metrics["ExecutionsSucceeded"]) == (seen["declined"], seen["shipped"])


# EventBridge Circuit Breaker -----------------------------------------------------------------
def test_eventbridge_circuit_breaker_is_driven_by_the_failure_events_of_the_calls() -> None:
    result = run_example("eventbridge-circuit-breaker")
    breaker = result.component("Breaker")
    transitions = breaker["Transitions"]
    states = [t["state"] for t in transitions]
    assert states == ["open", "half_open"] * (len(states) // 2) + ["closed"] and len(states) >= 5
    reports = [s for s in result.named("Breaker") if "reported" in s.annotations]
    # Every move to open or closed happens when an outcome event arrives through the rule.
    report_times = {round(seconds(s.end_time), 3) for s in reports}
    assert all(t["at_s"] in report_times for t in transitions if t["state"] in ("open", "closed"))
    failures_before_open = [s for s in reports if seconds(s.start_time) <= transitions[0]["at_s"]
                            and s.annotations["reported"] == "failure"]
    assert len(failures_before_open) == 5 and 30 <= transitions[0]["at_s"] < 32
    assert 60 <= transitions[-1]["at_s"] <= 60 + 10 + 1
    # Open: the quotes fail fast without calling the partner.
    opened_at, closed_at = transitions[0]["at_s"], transitions[-1]["at_s"]
    quotes = [s for s in result.named("Quote", "AWS::Lambda::Function")
              if opened_at < seconds(s.start_time) < closed_at]
    fast = [q for q in quotes if not any(sub.name == "ShippingPartner" for sub in q.subsegments or [])]
    assert len(fast) == breaker["CallsRejected"] > 200
    assert len(quotes) - len(fast) == sum(1 for t in transitions[:-1] if t["state"] == "half_open")
    # Status tracking records every outcome, fast fails included.
    assert result.component("PartnerStatus")["ConsumedWriteCapacityUnits"] == result.summary["messages"]["accepted"]

    def no_reports(document: dict[str, Any]) -> None:
        document["connections"] = [c for c in document["connections"]
                                   if not (c["role"] == "rule" and c["target"] == "Breaker")]

    unguarded = run_example("eventbridge-circuit-breaker", no_reports)
    assert unguarded.component("Breaker")["Transitions"] == []
    assert unguarded.component("ShippingPartner")["5XXError"] > 250


def test_status_updates_polling_is_later_than_push_and_wastes_requests_push_does_not() -> None:
    result = run_example("status-updates")
    assert balanced(result.summary)
    done_at: dict[str, float] = {}  # trace -> when the worker's status write completed
    notified_at: dict[str, dict[str, float]] = defaultdict(dict)  # style -> trace -> when the shop knew
    for segment in result.segments:
        if segment.name == "Worker" and segment.origin == "AWS::Lambda::Function":
            for sub in segment.subsegments or ():
                if sub.name == "Orders":
                    done_at[segment.trace_id] = seconds(sub.end_time)
                elif sub.name == "PartnerWebhook":
                    notified_at["webhook"][segment.trace_id] = seconds(sub.end_time)
        elif segment.name == "WebSocketShop" and segment.annotations.get("outcome") == "received":
            notified_at["websocket"][segment.trace_id] = seconds(segment.start_time)
        elif segment.name == "PollingShop":
            assert segment.annotations["poll"] == "done"
            polls = [sub for sub in segment.subsegments or () if sub.name == "StatusApi"]
            assert len(polls) == segment.annotations["polls"]
            notified_at["poll"][segment.trace_id] = seconds(polls[-1].end_time)

    def mean_delay(style: str) -> float:
        delays = [at - done_at[trace] for trace, at in notified_at[style].items()]
        assert delays and all(delay > 0 for delay in delays)
        return sum(delays) / len(delays)

    polling, webhook, websocket = mean_delay("poll"), mean_delay("webhook"), mean_delay("websocket")
    # A 2 s interval: on average about a second late; each push is one request late.
    assert 0.5 < polling < 1.5
    assert webhook < 0.2 and websocket < 0.05
    assert polling > 5 * max(webhook, websocket)

    components = result.summary["components"]
    shop = components["PollingShop"]
    assert shop["WastedPolls"] > 0 and shop["Polls"] == shop["PolledMessages"] + shop["WastedPolls"]
    assert components["StatusApi"]["Count"] == shop["Polls"]
    # Push: one request per order, none wasted.
    webhook_orders, websocket_orders = len(notified_at["webhook"]), len(notified_at["websocket"])
    assert components["PartnerWebhook"]["Requests"] == webhook_orders
    assert components["Updates"]["MessageCount"] == websocket_orders == components["WebSocketShop"]["MessagesReceived"]
    assert components["Updates"]["ClientError"] == 0
