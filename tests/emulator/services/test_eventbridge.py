"""EventBridge buses: the envelope, rules and their targets, input transformers, retries, dead letters, checks.

Targets are test doubles (``Receiver``) wired in place of the topology's queues and functions
after the simulation is built: they record each call and answer as each test says, so the bus's
behaviour is seen on its own. The rules are the package docstring's
(emulator/services/eventbridge/__init__.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.definitions import Kind
from emulator.messages import Message
from emulator.problems import Problem
from emulator.services import eventbridge
from emulator.services.base import Call, Component, Link, Reply
from emulator.services.eventbridge.bus import retry_delay
from emulator.simulation import Simulation
from emulator.topology import ComponentSpec, check_topology, load_topology
from emulator.tracing import ListTracer, Segment
from emulator.workload import load_workload
from tests.emulator.scenario import balanced, duplicates_in_traces, seconds

Answer = Callable[[int], Reply]
DAY_S = 86_400


def always(status: int, error: str | None = None) -> Answer:
    return lambda attempt: Reply(status, error, "scripted answer")


def failing_first(count: int, status: int = 500) -> Answer:
    return lambda attempt: Reply(status, "InternalError", "scripted failure") if attempt <= count else Reply(200)


@dataclass
class Received:
    time: float
    message: Message
    parent_id: str | None
    link: Link | None


class Receiver(Component):
    """A test target: records each call and answers as its script says, a millisecond later."""

    def __init__(self, sim: Simulation, component_id: str, answer: Answer | None = None) -> None:
        kind = Kind(name="sqs", title="fake", cloudformation_type="Test::Fake", description="", runtime=Receiver,
                    origin="Test::Fake")
        super().__init__(sim, ComponentSpec(component_id, "sqs", {}, {}, 0), kind)
        self.answer = answer or always(200)
        self.received: list[Received] = []

    def operation(self, link: Link | None) -> str:
        return "SendMessage"

    def request(self, call_: Call) -> None:
        self.received.append(Received(self.kernel.now, call_.message, call_.parent_id, call_.link))
        self.kernel.schedule(0.001, call_.reply, self.answer(len(self.received)))

    @property
    def payloads(self) -> list[Any]:
        return [r.message.payload for r in self.received]


@dataclass
class Run:
    summary: dict[str, Any]
    segments: list[Segment]
    receivers: dict[str, Receiver]

    def metric(self, name: str) -> Any:
        return self.summary["components"]["Bus"][name]

    def bus_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.name == "Bus"]


def bus_topology(rules: list[tuple[str, dict[str, Any]]], *, bus: dict[str, Any] | None = None,
                 extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """A bus with one ``rule`` connection per (target, properties); every target is an SQS queue."""
    names = list(dict.fromkeys([target for target, _ in rules] + list(extra)))
    return {
        "format": "wiretap.topology/1",
        "components": [{"id": "Bus", "kind": "eventbridge",
                        "behavior": {"put_events_ms": 10, "delivery_ms": 30, "duplicate_delivery_rate": 0,
                                     **(bus or {})}}]
        + [{"id": name, "kind": "sqs"} for name in names],
        "connections": [{"source": "Bus", "target": target, "role": "rule", "properties": properties}
                        for target, properties in rules],
    }


def simulate(document: dict[str, Any], receivers: dict[str, Answer | None], *,
             source: dict[str, Any] | None = None, drain_s: float = 600.0,
             faults: list[dict[str, Any]] | None = None) -> Run:
    topology = load_topology(document)
    workload = load_workload({
        "format": "wiretap.workload/1", "seed": 7, "duration_s": 10, "drain_s": drain_s,
        "sources": [source or {"target": "Bus", "rate": {"per_second": 1}, "count": 1,
                               "payload": {"order": "$seq", "state": "paid"}}],
        "faults": faults or [],
    }, topology)
    tracer = ListTracer()
    sim = Simulation(topology, workload, tracer=tracer)
    fakes = {cid: Receiver(sim, cid, answer) for cid, answer in receivers.items()}
    for component in sim.components.values():
        for link in component.outgoing:
            link.target = fakes.get(link.target.id, link.target)
    sim.components.update(fakes)
    summary = sim.run()
    return Run(summary, tracer.segments, fakes)


# The envelope ----------------------------------------------------------------------------------------
def test_the_bus_wraps_the_payload_as_detail_in_the_eventbridge_envelope() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None},
                   source={"target": "Bus", "rate": {"per_second": 1}, "count": 1, "payload": {"order": 1},
                           "attributes": {"source": "shop.orders", "detail-type": "OrderPaid"}})
    (event,) = run.receivers["Orders"].payloads
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"}
    assert event["detail"] == {"order": 1}
    assert (event["source"], event["detail-type"]) == ("shop.orders", "OrderPaid")
    assert (event["version"], event["account"], event["region"]) == ("0", "123456789012", "us-east-1")
    assert event["time"] == "2026-01-01T00:00:00Z" and event["resources"] == []
    assert len(event["id"]) == 36


def test_without_source_and_detail_type_attributes_the_workload_defaults_fill_the_envelope() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None})
    (event,) = run.receivers["Orders"].payloads
    assert (event["source"], event["detail-type"]) == ("wiretap.workload", "Message")


def test_put_events_answers_200_with_the_event_id_before_any_target_receives_it() -> None:
    run = simulate(bus_topology([("Orders", {})], bus={"put_events_ms": 50, "delivery_ms": 5}), {"Orders": None})
    (bus,) = run.bus_segments()
    assert bus.http == {"response": {"status": 200}}
    assert run.receivers["Orders"].received[0].time >= 0.05


# Rules ---------------------------------------------------------------------------------------------------
def test_a_rule_sends_only_the_events_its_pattern_matches() -> None:
    source = {"target": "Bus", "rate": {"per_second": 10}, "count": 20,
              "payload": {"order": "$seq", "state": {"$choice": ["paid", "cancelled"]}}}
    run = simulate(bus_topology([("Paid", {"EventPattern": {"detail": {"state": ["paid"]}}}),
                                 ("Everything", {})]), {"Paid": None, "Everything": None}, source=source)
    paid = [e["detail"]["order"] for e in run.receivers["Everything"].payloads if e["detail"]["state"] == "paid"]
    assert 0 < len(paid) < 20
    assert sorted(e["detail"]["order"] for e in run.receivers["Paid"].payloads) == sorted(paid)
    assert run.metric("MatchedEvents") == 20
    assert run.metric("TriggeredRules") == 20 + len(paid)
    assert run.metric("Invocations") == 20 + len(paid)


def test_connections_with_one_rule_name_are_one_rule_whose_targets_each_get_a_copy() -> None:
    pattern = {"detail": {"state": ["paid"]}}
    run = simulate(bus_topology([("Billing", {"RuleName": "Paid", "EventPattern": pattern}),
                                 ("Shipping", {"RuleName": "Paid", "EventPattern": pattern})]),
                   {"Billing": None, "Shipping": None})
    assert len(run.receivers["Billing"].received) == len(run.receivers["Shipping"].received) == 1
    assert run.metric("TriggeredRules") == 1 and run.metric("Invocations") == 2
    (bus,) = run.bus_segments()
    assert bus.metadata is not None and bus.metadata["eventbridge"]["matched_rules"] == ["Paid"]
    assert {s.annotations["rule"] for s in bus.subsegments or []} == {"Paid"}  # type: ignore[index]


def test_an_event_no_rule_matches_is_accepted_and_completed_without_a_delivery() -> None:
    run = simulate(bus_topology([("Paid", {"EventPattern": {"detail": {"state": ["refunded"]}}})]), {"Paid": None})
    assert run.receivers["Paid"].received == []
    assert run.metric("MatchedEvents") == 0
    assert run.summary["messages"]["completed"] == 1


def test_each_target_draws_its_own_delivery_time_so_deliveries_are_unordered() -> None:
    source = {"target": "Bus", "rate": {"per_second": 1000}, "count": 50, "payload": {"n": "$seq"}}
    run = simulate(bus_topology([("Orders", {})], bus={"delivery_ms": {"median": 100, "p99": 1000}}),
                   {"Orders": None}, source=source)
    order = [e["detail"]["n"] for e in run.receivers["Orders"].payloads]
    assert sorted(order) == list(range(1, 51)) and order != sorted(order)


def test_a_duplicate_delivery_gives_the_target_the_event_twice_the_second_call_repeating_the_first() -> None:
    run = simulate(bus_topology([("Orders", {})], bus={"duplicate_delivery_rate": 1.0}), {"Orders": None})
    first, second = run.receivers["Orders"].received
    assert first.message.payload["id"] == second.message.payload["id"]
    (bus,) = run.bus_segments()
    calls = {subsegment.id: subsegment for subsegment in bus.subsegments or []}
    # Whichever copy arrives second names the first's call: one delivery, made twice.
    assert "repeats" not in (calls[str(first.parent_id)].annotations or {})
    assert (calls[str(second.parent_id)].annotations or {})["repeats"] == first.parent_id
    # The target here stores what it gets: storing an event twice is not handling it twice.
    assert run.summary["messages"]["duplicate_deliveries"] == 0
    assert balanced(run.summary)


@pytest.mark.parametrize("through_a_queue", [False, True], ids=["function target", "queue to a function"])
def test_a_function_that_handles_a_duplicate_delivery_counts_one_duplicate(through_a_queue: bool) -> None:
    document = bus_topology([("Orders", {})], bus={"duplicate_delivery_rate": 1.0})
    if through_a_queue:
        document["components"].append({"id": "Handler", "kind": "lambda"})
        document["connections"].append({"source": "Orders", "target": "Handler", "role": "event_source"})
    else:
        document["components"][1] = {"id": "Orders", "kind": "lambda"}
    run = simulate(document, {})
    handled = [s for s in run.segments if s.origin == "AWS::Lambda::Function"]
    assert [s.annotations["outcome"] for s in handled] == ["ok", "ok"]
    assert run.summary["messages"]["duplicate_deliveries"] == 1 == duplicates_in_traces(run.segments)
    assert balanced(run.summary)


# Input transformer -----------------------------------------------------------------------------------------
def transformed(template: str, paths: dict[str, str] | None = None, **source: Any) -> Any:
    transformer = {"InputTemplate": template, **({"InputPathsMap": paths} if paths is not None else {})}
    run = simulate(bus_topology([("Orders", {"RuleName": "OrderRule", "InputTransformer": transformer})]),
                   {"Orders": None}, source={"target": "Bus", "rate": {"per_second": 1}, "count": 1,
                                             "payload": {"order": 7, "state": "paid", "items": [{"sku": "A1"}]},
                                             **source})
    return run.receivers["Orders"].payloads[0]


def test_an_input_template_receives_json_values_outside_quotes_and_string_text_inside_them() -> None:
    payload = transformed('{"order": <order>, "text": "order <order> is <state>", "first": <sku>, "items": <items>}',
                          {"order": "$.detail.order", "state": "$.detail.state", "sku": "$.detail.items[0].sku",
                           "items": "$.detail.items"})
    assert payload == {"order": 7, "text": "order 7 is paid", "first": "A1", "items": [{"sku": "A1"}]}


def test_a_path_missing_from_the_event_gives_null_outside_quotes_and_nothing_inside() -> None:
    payload = transformed('{"value": <gone>, "text": "[<gone>]"}', {"gone": "$.detail.nothing.here"})
    assert payload == {"value": None, "text": "[]"}


def test_the_reserved_variables_give_the_rule_the_ingestion_time_and_the_event() -> None:
    payload = transformed('{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>", '
                          '"at": "<aws.events.event.ingestion-time>", "event": <aws.events.event>, '
                          '"whole": <aws.events.event.json>}')
    assert payload["rule"] == "OrderRule"
    assert payload["arn"] == "arn:aws:events:us-east-1:123456789012:rule/Bus/OrderRule"
    assert payload["at"] == "2026-01-01T00:00:00Z"
    assert "detail" not in payload["event"] and payload["event"]["source"] == "wiretap.workload"
    assert payload["whole"]["detail"]["order"] == 7 and payload["whole"]["id"] == payload["event"]["id"]


def test_a_template_that_is_not_a_json_object_reaches_the_target_as_its_text() -> None:
    assert transformed('"Order <order> is <state>"', {"order": "$.detail.order", "state": "$.detail.state"}) \
        == '"Order 7 is paid"'
    assert transformed("Order <order> shipped", {"order": "$.detail.order"}) == "Order 7 shipped"


# Retries and dead letters -----------------------------------------------------------------------------------
def test_the_default_backoff_doubles_from_one_second_with_jitter_up_to_ten_minutes() -> None:
    assert [retry_delay(k, 0.0) for k in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert [retry_delay(k, 0.999999) for k in (1, 2)] == [pytest.approx(1.0), pytest.approx(2.0)]
    assert retry_delay(11, 0.0) == 300.0 and retry_delay(185, 0.999999) == pytest.approx(600.0)


def test_a_failing_target_is_retried_with_growing_jittered_delays_until_it_answers() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": failing_first(4)})
    times = [r.time for r in run.receivers["Orders"].received]
    assert len(times) == 5
    gaps = [later - earlier - 0.001 for earlier, later in itertools.pairwise(times)]
    for retry, gap in enumerate(gaps, start=1):
        assert retry_delay(retry, 0.0) <= gap <= retry_delay(retry, 0.999999)
    assert run.metric("RetryInvocationAttempts") == 4
    assert run.metric("Invocations") == 1 and run.metric("FailedInvocations") == 0
    assert run.summary["messages"]["completed"] == 1


def test_each_retry_is_a_segment_of_its_own_under_the_first_attempt_with_its_attempt_number() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": failing_first(2)})
    first, *retries = sorted(run.bus_segments(), key=lambda s: s.start_time)
    first_call = (first.subsegments or [])[0]
    assert [s.annotations["attempt"] for s in retries] == [2, 3]
    assert all(s.parent_id == first_call.id for s in retries)
    assert first_call.fault and retries[-1].annotations["outcome"] == "ok"


def test_a_throttled_target_is_retried_and_counted_as_a_throttled_rule() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": failing_first(1, status=429)})
    assert len(run.receivers["Orders"].received) == 2
    assert run.metric("ThrottledRules") == 1


def test_a_client_error_is_not_retried_and_goes_to_the_dead_letter_queue() -> None:
    run = simulate(bus_topology([("Orders", {"DeadLetterConfig": "Dlq"})], extra=("Dlq",)),
                   {"Orders": always(400, "AccessDeniedException"), "Dlq": None})
    assert len(run.receivers["Orders"].received) == 1
    (dead,) = run.receivers["Dlq"].received
    assert dead.message.attributes["EXHAUSTED_RETRY_CONDITION"] == "NonRetriableError"
    assert dead.message.attributes["ERROR_CODE"] == "AccessDeniedException"


def test_maximum_retry_attempts_ends_retries_into_the_dead_letter_queue_with_eventbridge_attributes() -> None:
    run = simulate(bus_topology([("Orders", {"RetryPolicy": {"MaximumRetryAttempts": 2}, "DeadLetterConfig": "Dlq"})],
                                extra=("Dlq",)), {"Orders": always(500, "InternalError"), "Dlq": None})
    assert len(run.receivers["Orders"].received) == 3
    (dead,) = run.receivers["Dlq"].received
    assert dead.message.payload["detail"] == {"order": 1, "state": "paid"}
    assert dead.message.attributes == {
        "RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/Bus/OrdersRule",
        "TARGET_ARN": "arn:aws:sqs:us-east-1:123456789012:Orders",
        "ERROR_CODE": "InternalError", "ERROR_MESSAGE": "scripted answer",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttemptsExhausted", "RETRY_ATTEMPTS": 2,
    }
    assert not dead.message.tracked
    assert run.metric("DeadLetterInvocations") == 1 and run.metric("FailedInvocations") == 1
    assert run.summary["messages"]["dead_lettered"] == 1 and balanced(run.summary)


def test_maximum_event_age_ends_retries_before_the_event_is_older_than_it() -> None:
    run = simulate(bus_topology([("Orders", {"RetryPolicy": {"MaximumEventAgeInSeconds": 60},
                                             "DeadLetterConfig": "Dlq"})], extra=("Dlq",)),
                   {"Orders": always(503, "ServiceUnavailable"), "Dlq": None})
    times = [r.time for r in run.receivers["Orders"].received]
    assert times[-1] - times[0] <= 60
    (dead,) = run.receivers["Dlq"].received
    assert dead.message.attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeExhausted"
    assert dead.time - times[0] <= 60


def test_by_default_a_target_that_never_recovers_gets_185_retries_within_24_hours() -> None:
    run = simulate(bus_topology([("Orders", {"DeadLetterConfig": "Dlq"})], extra=("Dlq",)),
                   {"Orders": always(500, "InternalError"), "Dlq": None}, drain_s=2 * DAY_S)
    times = [r.time for r in run.receivers["Orders"].received]
    assert len(times) == 186
    assert times[-1] - times[0] < DAY_S
    assert run.receivers["Dlq"].received[0].message.attributes["RETRY_ATTEMPTS"] == 185


def test_an_event_that_fails_for_good_without_a_dead_letter_queue_is_lost() -> None:
    run = simulate(bus_topology([("Orders", {"RetryPolicy": {"MaximumRetryAttempts": 0}})]),
                   {"Orders": always(500, "InternalError")})
    assert run.summary["messages"]["lost"] == 1 and balanced(run.summary)
    assert run.metric("FailedInvocations") == 1 and run.metric("DeadLetterInvocations") == 0


def test_a_dead_letter_queue_that_refuses_the_event_leaves_it_lost_and_counted() -> None:
    run = simulate(bus_topology([("Orders", {"RetryPolicy": {"MaximumRetryAttempts": 0}, "DeadLetterConfig": "Dlq"})],
                                extra=("Dlq",)), {"Orders": always(500, "InternalError"), "Dlq": always(503)})
    assert run.metric("InvocationsFailedToBeSentToDlq") == 1
    assert run.summary["messages"]["lost"] == 1


def test_an_event_still_being_retried_when_the_run_ends_is_in_flight() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": always(500, "InternalError")}, drain_s=60)
    assert run.summary["messages"]["in_flight"] == 1 and balanced(run.summary)


# Faults on the bus --------------------------------------------------------------------------------------------
def test_an_unavailable_bus_answers_503_and_delivers_nothing() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None},
                   faults=[{"component": "Bus", "kind": "unavailable", "from_s": 0, "to_s": 5}])
    assert run.receivers["Orders"].received == []
    assert run.summary["messages"]["rejected"] == 1
    assert run.metric("PutEventsFailedEntries") == 1


def test_a_throttled_bus_refuses_events_over_the_rate_with_a_throttling_exception() -> None:
    source = {"target": "Bus", "rate": {"per_second": 10}, "count": 20, "payload": {"n": "$seq"}}
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None}, source=source,
                   faults=[{"component": "Bus", "kind": "throttle", "value": 5, "from_s": 0, "to_s": 10}])
    throttled = [s for s in run.bus_segments() if s.throttle]
    assert throttled and all(s.cause["exceptions"][0]["type"] == "ThrottlingException"  # type: ignore[index]
                             for s in throttled)
    assert run.summary["messages"]["rejected"] == len(throttled)


def test_an_error_rate_fault_fails_put_events_with_500() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None},
                   faults=[{"component": "Bus", "kind": "error_rate", "value": 1.0, "from_s": 0, "to_s": 5}])
    (bus,) = run.bus_segments()
    assert bus.fault and bus.http == {"response": {"status": 500}}


def test_a_slow_fault_adds_its_milliseconds_to_put_events() -> None:
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None},
                   faults=[{"component": "Bus", "kind": "slow", "value": 200, "from_s": 0, "to_s": 5}])
    (bus,) = run.bus_segments()
    assert run.receivers["Orders"].received[0].time >= 0.21
    assert seconds(bus.end_time) >= 0.21


# A real pipeline: Lambda puts events, the bus invokes a function asynchronously -------------------------------------
def test_a_function_puts_events_and_the_rule_invokes_a_function_asynchronously_in_the_same_trace() -> None:
    document = {
        "format": "wiretap.topology/1",
        "components": [
            {"id": "Producer", "kind": "lambda", "behavior": {"duration_ms": 20, "cold_start_ms": 0}},
            {"id": "Bus", "kind": "eventbridge", "behavior": {"duplicate_delivery_rate": 0}},
            {"id": "Consumer", "kind": "lambda", "behavior": {"duration_ms": 20, "cold_start_ms": 0}},
        ],
        "connections": [
            {"source": "Producer", "target": "Bus", "role": "request"},
            {"source": "Bus", "target": "Consumer", "role": "rule"},
        ],
    }
    topology = load_topology(document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 1, "duration_s": 1, "drain_s": 60,
                              "sources": [{"target": "Producer", "rate": {"per_second": 1}, "count": 1,
                                           "payload": {"n": 1}}]}, topology)
    tracer = ListTracer()
    summary = Simulation(topology, workload, tracer=tracer).run()
    producer, bus, consumer = (next(s for s in tracer.segments if s.name == name)
                               for name in ("Producer", "Bus", "Consumer"))
    assert producer.trace_id == bus.trace_id == consumer.trace_id
    put = next(s for s in producer.subsegments or [] if s.name == "Bus")
    assert put.aws == {"operation": "PutEvents"} and bus.parent_id == put.id
    delivery = next(s for s in bus.subsegments or [] if s.name == "Consumer")
    assert consumer.parent_id == delivery.id
    assert summary["components"]["Consumer"]["AsyncEventsReceived"] == 1
    assert summary["messages"]["completed"] == 1


def test_the_bus_costs_a_dollar_per_million_events_of_up_to_64_kb() -> None:
    big = "x" * (100 * 1024)
    source = {"target": "Bus", "rate": {"per_second": 10}, "count": 10, "payload": {"blob": big}}
    run = simulate(bus_topology([("Orders", {})]), {"Orders": None}, source=source)
    assert run.summary["cost_usd"]["by_component"]["Bus"] == pytest.approx(20 * 1.00 / 1_000_000)


# Checks ---------------------------------------------------------------------------------------------------------
def problems_of(document: dict[str, Any]) -> list[Problem]:
    return check_topology(document)


def test_a_sixth_target_on_one_rule_is_a_problem_naming_its_rule_name() -> None:
    targets = [f"Q{n}" for n in range(6)]
    problems = problems_of(bus_topology([(t, {"RuleName": "Fan"}) for t in targets]))
    (problem,) = problems
    assert problem.pointer == "/connections/5/properties/RuleName"
    assert "at most 5 targets per rule" in problem.message and "Q0, Q1, Q2, Q3, Q4" in problem.message


def test_five_targets_on_one_rule_are_fine() -> None:
    assert problems_of(bus_topology([(f"Q{n}", {"RuleName": "Fan"}) for n in range(5)])) == []


def test_targets_of_one_rule_with_different_patterns_are_a_problem() -> None:
    (problem,) = problems_of(bus_topology([("A", {"RuleName": "R", "EventPattern": {"source": ["a"]}}),
                                           ("B", {"RuleName": "R", "EventPattern": {"source": ["b"]}})]))
    assert problem.pointer == "/connections/1/properties/EventPattern"


@pytest.mark.parametrize(("policy", "pointer"), [
    ({"MaximumRetryAttempts": 186}, "/MaximumRetryAttempts"),
    ({"MaximumRetryAttempts": -1}, "/MaximumRetryAttempts"),
    ({"MaximumEventAgeInSeconds": 59}, "/MaximumEventAgeInSeconds"),
    ({"MaximumEventAgeInSeconds": 86_401}, "/MaximumEventAgeInSeconds"),
    ({"MaxAttempts": 3}, "/MaxAttempts"),
])
def test_a_retry_policy_out_of_range_is_a_problem(policy: dict[str, Any], pointer: str) -> None:
    (problem,) = problems_of(bus_topology([("Orders", {"RetryPolicy": policy})]))
    assert problem.pointer == "/connections/0/properties/RetryPolicy" + pointer


def test_a_dead_letter_config_naming_something_other_than_a_queue_is_a_problem() -> None:
    document = bus_topology([("Orders", {"DeadLetterConfig": "Fn"})])
    document["components"].append({"id": "Fn", "kind": "lambda"})
    (problem,) = problems_of(document)
    assert problem.pointer == "/connections/0/properties/DeadLetterConfig" and "SQS queue" in problem.message


@pytest.mark.parametrize(("transformer", "pointer"), [
    ({"InputPathsMap": {"a": "$.detail"}}, "/InputTemplate"),
    ({"InputTemplate": "<a>", "InputPathsMap": {"a": "detail.a"}}, "/InputPathsMap/a"),
    ({"InputTemplate": "<a>", "InputPathsMap": {"a": "$.detail[*]"}}, "/InputPathsMap/a"),
    ({"InputTemplate": "x", "InputPathsMap": {"aws.events.rule-name": "$.id"}}, "/InputPathsMap/aws.events.rule-name"),
    ({"InputTemplate": "x", "Input": "y"}, "/Input"),
])
def test_a_malformed_input_transformer_is_a_problem_at_its_field(transformer: dict[str, Any], pointer: str) -> None:
    (problem,) = problems_of(bus_topology([("Orders", {"InputTransformer": transformer})]))
    assert problem.pointer == "/connections/0/properties/InputTransformer" + pointer


def test_the_kind_is_in_the_catalog_as_an_entry_point() -> None:
    assert eventbridge.KIND.entry_point and eventbridge.KIND.cloudformation_type == "AWS::Events::EventBus"


# Archive and replay -----------------------------------------------------------------------------------------------
def archived_bus(archive: dict[str, Any], replays: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document = bus_topology([("Orders", {})], bus={"replays": replays or []})
    document["components"][0]["properties"] = {"Archive": archive}
    return document


def test_an_archive_keeps_the_events_its_pattern_matches() -> None:
    source = {"target": "Bus", "rate": {"per_second": 10}, "count": 20,
              "payload": {"state": {"$choice": ["paid", "cancelled"]}}}
    run = simulate(archived_bus({"EventPattern": {"detail": {"state": ["paid"]}}}), {"Orders": None}, source=source)
    paid = sum(e["detail"]["state"] == "paid" for e in run.receivers["Orders"].payloads)
    assert 0 < run.metric("EventsArchived") == paid < 20


def test_a_replay_sends_the_archived_events_of_its_window_to_the_rules_again_with_a_replay_name() -> None:
    source = {"target": "Bus", "rate": {"per_second": 1}, "count": 10, "payload": {"n": "$seq"}}
    replay = {"ReplayName": "Fix1", "at_s": 30, "EventStartTime": 2, "EventEndTime": 5}
    run = simulate(archived_bus({}, [replay]), {"Orders": None}, source=source)
    received = run.receivers["Orders"].received
    originals = [r.message.payload for r in received if r.time < 30]
    replayed = [r.message.payload for r in received if r.time >= 30]
    assert len(originals) == 10
    assert sorted(e["detail"]["n"] for e in replayed) == [3, 4, 5]  # sent at 2, 3 and 4 s
    assert all(e["replay-name"] == "Fix1" for e in replayed)
    by_id = {e["id"]: e for e in originals}
    assert all({**by_id[e["id"]], "replay-name": "Fix1"} == e for e in replayed)
    assert run.metric("EventsReplayed") == 3


def test_a_replayed_event_is_a_new_message_with_a_trace_of_its_own() -> None:
    source = {"target": "Bus", "rate": {"per_second": 1}, "count": 1, "payload": {"n": 1}}
    replay = {"ReplayName": "Again", "at_s": 10, "EventStartTime": 0, "EventEndTime": 5}
    run = simulate(archived_bus({}, [replay]), {"Orders": None}, source=source)
    original, replayed = sorted(run.bus_segments(), key=lambda s: s.start_time)
    assert replayed.trace_id != original.trace_id and replayed.parent_id is None
    assert replayed.annotations["message_id"] == "msg-000001-Again"
    assert replayed.aws == {"operation": "StartReplay", "event_bus_name": "Bus", "replay_name": "Again"}
    assert run.summary["messages"]["accepted"] == 2 == run.summary["messages"]["completed"]


def test_events_older_than_the_retention_are_not_replayed() -> None:
    source = {"target": "Bus", "rate": {"per_second": 1}, "count": 1, "payload": {"n": 1}}
    replay = {"ReplayName": "Late", "at_s": 2 * DAY_S, "EventStartTime": 0, "EventEndTime": 5}
    run = simulate(archived_bus({"RetentionDays": 1}, [replay]), {"Orders": None}, source=source,
                   drain_s=3 * DAY_S)
    assert run.metric("EventsReplayed") == 0 and len(run.receivers["Orders"].received) == 1


def test_archiving_costs_ten_cents_per_gb() -> None:
    source = {"target": "Bus", "rate": {"per_second": 10}, "count": 10, "payload": {"blob": "x" * 1000}}
    plain = simulate(bus_topology([("Orders", {})]), {"Orders": None}, source=source)
    archived = simulate(archived_bus({}), {"Orders": None}, source=source)
    size = 10 * len('{"blob":"' + "x" * 1000 + '"}')
    extra = archived.summary["cost_usd"]["by_component"]["Bus"] - plain.summary["cost_usd"]["by_component"]["Bus"]
    assert extra == pytest.approx(size / 1024 ** 3 * 0.10, rel=0.01)


@pytest.mark.parametrize(("archive", "replays", "pointer"), [
    ({"RetentionDays": -1}, [], "/components/0/properties/Archive/RetentionDays"),
    ({"EventPattern": {"source": []}}, [], "/components/0/properties/Archive/EventPattern"),
    ({"Rules": 1}, [], "/components/0/properties/Archive/Rules"),
    ({}, [{"ReplayName": "r", "at_s": 5, "EventStartTime": 10, "EventEndTime": 20}],
     "/components/0/behavior/replays/0"),
    ({}, [{"ReplayName": "bad name", "at_s": 30, "EventStartTime": 0, "EventEndTime": 20}],
     "/components/0/behavior/replays/0/ReplayName"),
    (None, [{"ReplayName": "r", "at_s": 30, "EventStartTime": 0, "EventEndTime": 20}],
     "/components/0/behavior/replays/0"),
])
def test_a_malformed_archive_or_replay_is_a_problem_at_its_field(archive: Any, replays: list[dict[str, Any]],
                                                                 pointer: str) -> None:
    document = bus_topology([("Orders", {})], bus={"replays": replays})
    if archive is not None:
        document["components"][0]["properties"] = {"Archive": archive}
    (problem,) = problems_of(document)
    assert problem.pointer == pointer


# FIFO queue targets -----------------------------------------------------------------------------------------------
def fifo_target(parameters: dict[str, Any] | None) -> dict[str, Any]:
    document = bus_topology([("Orders", {"SqsParameters": parameters} if parameters else {})])
    document["components"][1] = {"id": "Orders", "kind": "sqs", "properties": {"FifoQueue": True}}
    return document


def test_a_fifo_queue_target_without_a_message_group_is_a_problem() -> None:
    (problem,) = problems_of(fifo_target(None))
    assert problem.pointer == "/connections/0/properties/SqsParameters" and "MessageGroupId" in problem.message


def test_a_fifo_queue_target_gets_the_rules_group_and_the_event_id_as_deduplication_id() -> None:
    source = {"target": "Bus", "rate": {"per_second": 1}, "count": 1, "payload": {"n": 1}}
    run = simulate(fifo_target({"MessageGroupId": "orders"}), {"Orders": None}, source=source)
    (received,) = run.receivers["Orders"].received
    assert received.message.group_id == "orders"
    assert received.message.deduplication_id == received.message.payload["id"]


def test_a_real_fifo_queue_accepts_the_rules_events() -> None:
    document = fifo_target({"MessageGroupId": "orders"})
    run = simulate(document, {}, source={"target": "Bus", "rate": {"per_second": 5}, "count": 5,
                                         "payload": {"n": "$seq"}})
    assert run.summary["components"]["Orders"]["NumberOfMessagesSent"] == 5
    assert run.metric("Invocations") == 5 and run.metric("FailedInvocations") == 0


def test_a_lambda_failure_destination_record_arrives_as_lambdas_own_event() -> None:
    document = {
        "format": "wiretap.topology/1",
        "components": [
            {"id": "Uploader", "kind": "client"},
            {"id": "Worker", "kind": "lambda", "properties": {"MaximumRetryAttempts": 0},
             "behavior": {"duration_ms": 10, "cold_start_ms": 0, "error_rate": 1.0}},
            {"id": "Bus", "kind": "eventbridge", "behavior": {"duplicate_delivery_rate": 0}},
            {"id": "Failures", "kind": "sqs"},
        ],
        "connections": [
            {"source": "Uploader", "target": "Worker", "role": "event"},
            {"source": "Worker", "target": "Bus", "role": "on_failure"},
            {"source": "Bus", "target": "Failures", "role": "rule",
             "properties": {"EventPattern": {"source": ["lambda"],
                                             "detail-type": ["Lambda Function Invocation Result - Failure"]}}},
        ],
    }
    run = simulate(document, {"Failures": None},
                   source={"target": "Uploader", "rate": {"per_second": 1}, "count": 1, "payload": {"n": 1}})
    (event,) = run.receivers["Failures"].payloads
    assert event["resources"] == ["arn:aws:lambda:us-east-1:123456789012:function:Worker:$LATEST"]
    assert event["detail"]["requestContext"]["condition"] == "RetriesExhausted"
    assert event["detail"]["requestPayload"] == {"n": 1}
