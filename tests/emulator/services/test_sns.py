"""SNS topics: fan-out, filter policies, raw and enveloped delivery, retries, dead letters, traces, FIFO.

Subscribers are test doubles (``Subscriber``) wired in place of the topology's queues and
functions after the simulation is built: they record every call and answer as each test says,
so the topic's behaviour is seen on its own.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.definitions import Kind
from emulator.messages import COMPLETED, Message
from emulator.problems import Problem
from emulator.services import sns
from emulator.services.base import Call, Component, Link, Reply
from emulator.simulation import Simulation
from emulator.topology import ComponentSpec, ConnectionSpec, Topology, check_topology, load_topology
from emulator.tracing import ListTracer, NullTracer, Segment
from emulator.workload import load_workload

Answer = Callable[[int, Message], Reply]
OPERATIONS = {"sqs": "SendMessage", "lambda": "Invoke", "http": "POST"}


def always(status: int, error: str | None = None) -> Answer:
    return lambda attempt, message: Reply(status, error)


def failing_first(count: int, status: int = 500) -> Answer:
    return lambda attempt, message: Reply(status, "InternalError") if attempt <= count else Reply(200)


@dataclass
class Received:
    time: float
    message: Message
    parent_id: str | None
    link: Link | None


class Subscriber(Component):
    """A test subscriber: records each call and answers as its script says, after ``latency_s``.

    With ``keeps_for_s`` it holds a copy of the message that long (as a queue would until a
    consumer deletes it), taking its token inside request() as real subscribers do.
    """

    def __init__(self, sim: Simulation, component_id: str, protocol: str = "sqs", answer: Answer | None = None,
                 latency_s: float = 0.001, keeps_for_s: float | None = None) -> None:
        kind = Kind(name=protocol, title=protocol, cloudformation_type=None if protocol == "http" else "Test::Fake",
                    description="", runtime=Subscriber, origin="Test::Fake")
        super().__init__(sim, ComponentSpec(component_id, protocol, {}, {}, 0), kind)
        self.answer = answer or always(200)
        self.latency_s = latency_s
        self.keeps_for_s = keeps_for_s
        self.received: list[Received] = []

    def operation(self, link: Link | None) -> str:
        return OPERATIONS[self.kind.name]

    def request(self, call_: Call) -> None:
        message = call_.message
        self.received.append(Received(self.kernel.now, message, call_.parent_id, call_.link))
        reply = self.answer(len(self.received), message)
        if reply.status < 400 and self.keeps_for_s is not None and message.tracked:
            self.sim.ledger.hold(message.record)
            self.kernel.schedule(self.keeps_for_s, self._consumed, message)
        self.kernel.schedule(self.latency_s, call_.reply, reply)

    def _consumed(self, message: Message) -> None:
        self.sim.ledger.release(message.record, COMPLETED, self.kernel.now)

    @property
    def times(self) -> list[float]:
        return [r.time for r in self.received]

    @property
    def payloads(self) -> list[Any]:
        return [r.message.payload for r in self.received]


@dataclass
class Run:
    summary: dict[str, Any]
    segments: list[Segment]
    topic: sns.Topic
    subscribers: dict[str, Subscriber]
    sim: Simulation

    def metric(self, name: str) -> Any:
        return self.summary["components"]["Topic"][name]


def topology(subscriptions: dict[str, dict[str, Any]], *, topic: dict[str, Any] | None = None,
             kinds: dict[str, str] | None = None) -> dict[str, Any]:
    """Topic, subscribed by each named component (an SQS queue unless ``kinds`` says) with these properties."""
    kinds = kinds or {}
    names = list(subscriptions)
    for properties in subscriptions.values():
        target = (properties.get("RedrivePolicy") or {}).get("deadLetterTargetArn")
        if target and target not in names:
            names.append(target)
    return {
        "format": "wiretap.topology/1",
        "components": [{"id": "Topic", "kind": "sns", **(topic or {"behavior": {"publish_ms": 10, "delivery_ms": 30}})}]
        + [{"id": name, "kind": kinds.get(name, "sqs")} for name in names],
        "connections": [{"source": "Topic", "target": name, "role": "subscription", "properties": properties}
                        for name, properties in subscriptions.items()],
    }


def simulate(document: dict[str, Any] | Topology, subscribers: dict[str, dict[str, Any]], *,
             source: dict[str, Any] | None = None, duration_s: float = 10.0, drain_s: float = 120.0,
             faults: list[dict[str, Any]] | None = None, traced: bool = True) -> Run:
    """Run the topology with test subscribers in place of the named components."""
    built = document if isinstance(document, Topology) else load_topology(document)
    workload = load_workload({
        "format": "wiretap.workload/1", "seed": 7, "duration_s": duration_s, "drain_s": drain_s,
        "sources": [source or {"target": "Topic", "rate": {"per_second": 1}, "count": 1,
                               "payload": {"order": "$seq"}}],
        "faults": faults or [],
    }, built)
    tracer = ListTracer()
    sim = Simulation(built, workload, tracer=tracer if traced else NullTracer())
    fakes = {cid: Subscriber(sim, cid, **options) for cid, options in subscribers.items()}
    for component in sim.components.values():
        for link in component.outgoing:
            link.target = fakes.get(link.target.id, link.target)
    sim.components.update(fakes)
    summary = sim.run()
    topic = sim.components["Topic"]
    assert isinstance(topic, sns.Topic)
    return Run(summary, tracer.segments, topic, fakes, sim)


def balances(messages: dict[str, int]) -> bool:
    return messages["accepted"] == (messages["completed"] + messages["dead_lettered"] + messages["in_flight"]
                                    + messages["lost"])


# Fan-out ---------------------------------------------------------------------------------
def test_each_subscription_receives_its_own_copy_of_every_published_message() -> None:
    run = simulate(topology({"Billing": {}, "Shipping": {}, "Audit": {}}),
                   {"Billing": {}, "Shipping": {}, "Audit": {}},
                   source={"target": "Topic", "rate": {"per_second": 2}, "count": 4, "payload": {"order": "$seq"}})

    for name in ("Billing", "Shipping", "Audit"):
        orders = [json.loads(p["Message"])["order"] for p in run.subscribers[name].payloads]
        assert orders == [1, 2, 3, 4], name
    copies = [r.message for s in run.subscribers.values() for r in s.received]
    assert len({id(copy) for copy in copies}) == 12
    assert run.metric("NumberOfMessagesPublished") == 4
    assert run.metric("NumberOfNotificationsDelivered") == 12
    assert run.summary["messages"]["completed"] == 4


def test_a_delivery_arrives_delivery_ms_after_the_publish_and_never_before_the_publish_is_answered() -> None:
    fast_delivery = {"behavior": {"publish_ms": 50, "delivery_ms": 20}}
    run = simulate(topology({"Fast": {}}, topic=fast_delivery), {"Fast": {}})
    slow_delivery = simulate(topology({"Slow": {}}), {"Slow": {}})

    assert run.subscribers["Fast"].times == [pytest.approx(0.050)]
    assert slow_delivery.subscribers["Slow"].times == [pytest.approx(0.030)]


def test_a_subscriber_that_keeps_the_message_keeps_it_open_after_the_topic_lets_go() -> None:
    run = simulate(topology({"Inbox": {}}), {"Inbox": {"keeps_for_s": 5.0}})

    assert run.summary["messages"]["completed"] == 1
    assert run.summary["latency_ms"]["max"] >= 5000.0
    assert run.sim.ledger.open_messages == 0


def test_a_publish_of_an_untracked_dead_letter_touches_no_token() -> None:
    run_topology = load_topology(topology({"Inbox": {}}))
    workload = load_workload({"format": "wiretap.workload/1", "duration_s": 1, "sources": [
        {"target": "Topic", "rate": {"per_second": 1}, "count": 1}]}, run_topology)
    sim = Simulation(run_topology, workload)
    inbox = Subscriber(sim, "Inbox")
    sim.components["Topic"].outgoing[0].target = inbox
    record = sim.ledger.accept("msg-dead", "1-00000000-000000000000000000000000", 0.0)
    dead_letter = Message("msg-dead", record.trace_id, {"failed": True}, record, tracked=False)
    topic = sim.components["Topic"]
    topic.request(Call(dead_letter, None, None, lambda reply: None, "Publish"))
    sim.kernel.run()

    assert record.tokens == 1
    assert [r.message.tracked for r in inbox.received] == [False]


# Filter policies -------------------------------------------------------------------------
def test_a_filter_policy_on_message_attributes_delivers_only_the_matching_messages() -> None:
    subscriptions = {
        "Everything": {},
        "EuStores": {"FilterPolicy": {"store": ["eu"]}},
        "BigOrders": {"FilterPolicy": {"amount": [{"numeric": [">=", 50]}]}},
    }
    source = {"target": "Topic", "rate": {"per_second": 20}, "count": 40, "payload": {"order": "$seq"},
              "attributes": {"store": {"$choice": ["eu", "us"]}, "amount": {"$uniform": [1, 100]}}}
    run = simulate(topology(subscriptions), {name: {} for name in subscriptions}, source=source)

    everything = [r.message for r in run.subscribers["Everything"].received]
    eu = [m.message_id for m in everything if m.attributes["store"] == "eu"]
    big = [m.message_id for m in everything if m.attributes["amount"] >= 50]
    assert 0 < len(eu) < 40 and 0 < len(big) < 40
    assert [r.message.message_id for r in run.subscribers["EuStores"].received] == eu
    assert [r.message.message_id for r in run.subscribers["BigOrders"].received] == big
    assert run.metric("NumberOfNotificationsFilteredOut") == (40 - len(eu)) + (40 - len(big))
    assert run.summary["messages"]["completed"] == 40


def test_a_list_attribute_matches_a_policy_as_a_string_array() -> None:
    subscriptions = {"Red": {"FilterPolicy": {"colours": ["red"]}}, "Blue": {"FilterPolicy": {"colours": ["blue"]}}}
    source = {"target": "Topic", "rate": {"per_second": 1}, "count": 1, "attributes": {"colours": ["red", "green"]}}
    run = simulate(topology(subscriptions), {"Red": {}, "Blue": {}}, source=source)

    assert len(run.subscribers["Red"].received) == 1
    assert run.subscribers["Blue"].received == []
    assert run.metric("NumberOfNotificationsFilteredOut") == 1


def test_a_filter_policy_scoped_to_the_message_body_matches_payload_fields() -> None:
    subscriptions = {"Orders": {"FilterPolicy": {"type": ["order"]}, "FilterPolicyScope": "MessageBody"}}
    source = {"target": "Topic", "rate": {"per_second": 20}, "count": 30,
              "payload": {"type": {"$choice": ["order", "refund"]}, "n": "$seq"}}
    run = simulate(topology(subscriptions), {"Orders": {}}, source=source)

    types = [json.loads(p["Message"])["type"] for p in run.subscribers["Orders"].payloads]
    assert 0 < len(types) < 30
    assert set(types) == {"order"}
    assert run.metric("NumberOfNotificationsFilteredOut") == 30 - len(types)


def test_a_message_without_the_attribute_a_policy_needs_is_filtered_out() -> None:
    run = simulate(topology({"Eu": {"FilterPolicy": {"store": ["eu"]}}}), {"Eu": {}})

    assert run.subscribers["Eu"].received == []
    assert run.metric("NumberOfNotificationsFilteredOut") == 1
    assert run.summary["messages"]["completed"] == 1


# What subscribers receive ----------------------------------------------------------------
def test_raw_message_delivery_hands_over_the_payload_as_published() -> None:
    source = {"target": "Topic", "rate": {"per_second": 1}, "count": 1, "payload": {"order": 7, "items": [1, 2]}}
    run = simulate(topology({"Raw": {"RawMessageDelivery": True}}), {"Raw": {}}, source=source)

    assert run.subscribers["Raw"].payloads == [{"order": 7, "items": [1, 2]}]


def test_without_raw_delivery_a_subscriber_receives_the_sns_json_envelope() -> None:
    source = {"target": "Topic", "rate": {"per_second": 1}, "count": 1, "payload": {"order": 7},
              "attributes": {"store": "eu", "amount": 42, "tags": ["a", "b"]}}
    run = simulate(topology({"Wrapped": {}}), {"Wrapped": {}}, source=source)

    [received] = run.subscribers["Wrapped"].received
    envelope = received.message.payload
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == received.message.message_id
    assert envelope["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:Topic"
    assert json.loads(envelope["Message"]) == {"order": 7}
    assert envelope["Timestamp"] == "2026-01-01T00:00:00.000Z"
    assert envelope["MessageAttributes"] == {
        "store": {"Type": "String", "Value": "eu"},
        "amount": {"Type": "Number", "Value": "42"},
        "tags": {"Type": "String.Array", "Value": '["a","b"]'},
    }


def test_a_lambda_subscriber_receives_the_envelope_in_an_sns_record_even_with_raw_delivery_set() -> None:
    run = simulate(topology({"Handler": {"RawMessageDelivery": True}}), {"Handler": {"protocol": "lambda"}})

    [payload] = run.subscribers["Handler"].payloads
    [record] = payload["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == "arn:aws:sns:us-east-1:123456789012:Topic:Handler"
    assert record["Sns"]["Type"] == "Notification"
    assert run.subscribers["Handler"].received[0].link is not None
    assert run.subscribers["Handler"].received[0].link.role == "subscription"


# Retries ---------------------------------------------------------------------------------
def attempt_gaps(subscriber: Subscriber) -> list[float]:
    """Seconds between one attempt's answer and the next attempt."""
    times = subscriber.times
    return [later - earlier - subscriber.latency_s for earlier, later in itertools.pairwise(times)]


def test_a_failing_queue_is_retried_three_times_at_once_then_a_second_apart_then_backing_off_to_twenty() -> None:
    run = simulate(topology({"Inbox": {}}), {"Inbox": {"answer": failing_first(20)}}, drain_s=600)

    backoff = [20.0 ** (step / 9) for step in range(10)]
    expected = [0.0, 0.0, 0.0, 1.0, 1.0, *backoff, 20.0, 20.0, 20.0, 20.0, 20.0]
    assert attempt_gaps(run.subscribers["Inbox"]) == pytest.approx(expected, abs=1e-6)
    assert run.metric("NumberOfNotificationsDelivered") == 1
    assert run.metric("NumberOfNotificationsFailed") == 0
    assert run.summary["messages"]["completed"] == 1


def test_a_queue_that_never_recovers_is_given_up_after_100015_retries_into_the_dead_letter_queue() -> None:
    subscriptions = {"Inbox": {"RedrivePolicy": {"deadLetterTargetArn": "InboxDLQ"}}}
    run = simulate(topology(subscriptions), {"Inbox": {"answer": always(500), "latency_s": 0.0}, "InboxDLQ": {}},
                   drain_s=2_100_000, traced=False)

    assert len(run.subscribers["Inbox"].received) == 1 + 100_015
    [dead_letter] = run.subscribers["InboxDLQ"].received
    schedule_s = 2 * 1.0 + sum(20.0 ** (step / 9) for step in range(10)) + 100_000 * 20.0
    assert dead_letter.time == pytest.approx(0.030 + schedule_s)
    assert run.metric("NumberOfNotificationsFailed") == 1
    assert run.summary["messages"]["dead_lettered"] == 1


def test_an_http_subscriber_is_retried_three_times_twenty_seconds_apart_then_dead_lettered() -> None:
    subscriptions = {"Partner": {"RedrivePolicy": {"deadLetterTargetArn": "PartnerDLQ"}}}
    run = simulate(topology(subscriptions), {"Partner": {"protocol": "http", "answer": always(503)}, "PartnerDLQ": {}})

    assert attempt_gaps(run.subscribers["Partner"]) == pytest.approx([20.0, 20.0, 20.0])
    [dead_letter] = run.subscribers["PartnerDLQ"].received
    assert dead_letter.message.tracked is False
    assert dead_letter.message.payload == run.subscribers["Partner"].payloads[0]
    assert dead_letter.link is None
    assert run.metric("NumberOfNotificationsFailed") == 4  # CloudWatch counts every failed HTTP/S attempt
    assert run.metric("NumberOfNotificationsRedrivenToDlq") == 1
    assert run.summary["messages"]["dead_lettered"] == 1


def test_a_client_error_is_not_retried() -> None:
    run = simulate(topology({"Inbox": {}}), {"Inbox": {"answer": always(400, "InvalidParameterValue")}})

    assert len(run.subscribers["Inbox"].received) == 1
    assert run.metric("NumberOfNotificationsFailed") == 1
    assert run.summary["messages"]["lost"] == 1


def test_a_throttled_http_delivery_is_retried() -> None:
    answer: Answer = lambda attempt, message: Reply(429, "TooManyRequests") if attempt == 1 else Reply(200)  # noqa: E731
    run = simulate(topology({"Partner": {}}), {"Partner": {"protocol": "http", "answer": answer}})

    assert attempt_gaps(run.subscribers["Partner"]) == pytest.approx([20.0])
    assert run.metric("NumberOfNotificationsDelivered") == 1
    assert run.summary["messages"]["completed"] == 1


def test_a_copy_that_fails_for_good_without_a_dead_letter_queue_is_lost() -> None:
    run = simulate(topology({"Partner": {}, "Inbox": {}}), {"Partner": {"protocol": "http", "answer": always(500)},
                                                            "Inbox": {}})

    assert len(run.subscribers["Partner"].received) == 4
    assert run.metric("NumberOfNotificationsRedrivenToDlq") == 0
    assert run.summary["messages"]["lost"] == 1  # the Inbox copy completed; the worst outcome wins
    assert run.summary["messages"]["completed"] == 0


def test_a_dead_letter_queue_that_refuses_the_copy_leaves_the_message_lost() -> None:
    subscriptions = {"Partner": {"RedrivePolicy": {"deadLetterTargetArn": "PartnerDLQ"}}}
    run = simulate(topology(subscriptions), {"Partner": {"protocol": "http", "answer": always(500)},
                                             "PartnerDLQ": {"answer": always(503)}})

    assert run.metric("NumberOfNotificationsFailedToRedriveToDlq") == 1
    assert run.summary["messages"]["lost"] == 1


def test_a_message_whose_delivery_is_still_being_retried_when_the_run_ends_is_in_flight() -> None:
    run_topology = load_topology(topology({"Inbox": {}}))
    workload = load_workload({"format": "wiretap.workload/1", "duration_s": 1, "drain_s": 60,
                              "sources": [{"target": "Topic", "rate": {"per_second": 1}, "count": 1}]}, run_topology)
    sim = Simulation(run_topology, workload)
    inbox = Subscriber(sim, "Inbox", answer=always(500))
    sim.components["Topic"].outgoing[0].target = inbox
    sim.components["Inbox"] = inbox
    sim.start()
    sim.kernel.run(until=30.0)
    retrying_midway = sim.components["Topic"].gauges()
    sim.kernel.run(until=sim.deadline)
    summary = sim.finish()

    assert retrying_midway == {"deliveries_retrying": 1}
    assert summary["messages"]["in_flight"] == 1
    assert summary["components"]["Topic"]["NumberOfNotificationsFailed"] == 0


def test_the_summary_balances_when_copies_complete_dead_letter_and_get_lost() -> None:
    subscriptions = {
        "Good": {"FilterPolicy": {"route": ["ok"]}},
        "Flaky": {"FilterPolicy": {"route": ["dlq"]}, "RedrivePolicy": {"deadLetterTargetArn": "FlakyDLQ"}},
        "Broken": {"FilterPolicy": {"route": ["lost"]}},
    }
    fakes = {"Good": {}, "Flaky": {"protocol": "http", "answer": always(500)},
             "Broken": {"protocol": "http", "answer": always(404)}, "FlakyDLQ": {}}
    source = {"target": "Topic", "rate": {"per_second": 10}, "count": 30,
              "attributes": {"route": {"$choice": ["ok", "dlq", "lost"]}}}
    run = simulate(topology(subscriptions), fakes, source=source)

    messages = run.summary["messages"]
    routed = {name: len(run.subscribers[name].received) for name in ("Good", "FlakyDLQ", "Broken")}
    assert min(routed.values()) > 0
    assert messages["accepted"] == 30 and balances(messages)
    assert (messages["completed"], messages["dead_lettered"], messages["lost"]) == (
        routed["Good"], routed["FlakyDLQ"], routed["Broken"])


# Traces ----------------------------------------------------------------------------------
def test_one_message_is_one_trace_from_the_publish_to_every_subscriber() -> None:
    subscriptions = {"Billing": {}, "Shipping": {}, "Eu": {"FilterPolicy": {"store": ["eu"]}}}
    run = simulate(topology(subscriptions), {"Billing": {}, "Shipping": {}, "Eu": {}})

    [publish] = run.segments
    assert (publish.name, publish.origin, publish.parent_id) == ("Topic", "AWS::SNS::Topic", None)
    assert publish.annotations == {"message_id": "msg-000001", "attempt": 1, "outcome": "ok"}
    assert publish.metadata == {"sns": {"subscriptions": 3, "filtered_out": 1}}
    assert publish.subsegments is not None
    assert [(s.name, s.namespace, s.aws) for s in publish.subsegments] == [
        ("Billing", "aws", {"operation": "SendMessage"}), ("Shipping", "aws", {"operation": "SendMessage"})]
    for subsegment, name in zip(publish.subsegments, ("Billing", "Shipping"), strict=True):
        [received] = run.subscribers[name].received
        assert received.parent_id == subsegment.id
        assert received.message.trace_id == publish.trace_id


def test_each_retry_is_a_segment_of_its_own_under_the_first_delivery_attempt() -> None:
    run = simulate(topology({"Inbox": {}}), {"Inbox": {"answer": failing_first(2)}})

    publish, *retries = run.segments
    assert publish.subsegments is not None
    first_attempt = publish.subsegments[0]
    assert first_attempt.fault is True
    assert [r.annotations["attempt"] for r in retries] == [2, 3]
    assert [r.annotations["outcome"] for r in retries] == ["fault", "ok"]
    assert all(r.parent_id == first_attempt.id and r.trace_id == publish.trace_id for r in retries)
    attempts = [s.subsegments[0].id for s in run.segments if s.subsegments]
    assert [r.parent_id for r in run.subscribers["Inbox"].received] == attempts
    assert publish.end_time is not None and publish.end_time - publish.start_time < 0.1


def test_the_dead_letter_hop_shows_in_the_last_retry_segment() -> None:
    subscriptions = {"Partner": {"RedrivePolicy": {"deadLetterTargetArn": "PartnerDLQ"}}}
    run = simulate(topology(subscriptions), {"Partner": {"protocol": "http", "answer": always(500)}, "PartnerDLQ": {}})

    last = run.segments[-1]
    assert last.annotations["attempt"] == 4
    assert last.annotations["outcome"] == "dead_lettered"
    assert last.subsegments is not None
    [_, dead_letter] = last.subsegments
    assert dead_letter.name == "PartnerDLQ"
    assert run.subscribers["PartnerDLQ"].received[0].parent_id == dead_letter.id
    assert run.segments[0].subsegments is not None
    assert run.segments[0].subsegments[0].namespace == "remote"  # a third-party HTTP endpoint


# Faults ----------------------------------------------------------------------------------
def test_an_unavailable_topic_answers_503_and_delivers_nothing() -> None:
    faults = [{"component": "Topic", "kind": "unavailable", "from_s": 0, "to_s": 100}]
    source = {"target": "Topic", "rate": {"per_second": 5}, "count": 5}
    run = simulate(topology({"Inbox": {}}), {"Inbox": {}}, source=source, faults=faults)

    assert run.subscribers["Inbox"].received == []
    assert run.summary["messages"]["rejected"] == 5
    assert all(s.fault and s.annotations["outcome"] == "fault" for s in run.segments)
    assert run.segments[0].http == {"response": {"status": 503}}
    assert run.metric("NumberOfMessagesPublished") == 0


def test_a_throttled_topic_refuses_publishes_over_the_rate_with_429() -> None:
    faults = [{"component": "Topic", "kind": "throttle", "value": 2, "from_s": 0, "to_s": 100}]
    source = {"target": "Topic", "rate": {"per_second": 10}, "count": 10}
    run = simulate(topology({"Inbox": {}}), {"Inbox": {}}, source=source, faults=faults)

    refused = [s for s in run.segments if s.throttle]
    assert 0 < len(refused) < 10
    assert all(s.annotations["outcome"] == "throttled" for s in refused)
    assert run.summary["messages"]["rejected"] == len(refused)
    assert len(run.subscribers["Inbox"].received) == 10 - len(refused)


def test_an_error_rate_fault_fails_publishes_with_500() -> None:
    faults = [{"component": "Topic", "kind": "error_rate", "value": 1.0, "from_s": 0, "to_s": 100}]
    run = simulate(topology({"Inbox": {}}), {"Inbox": {}}, faults=faults)

    assert run.segments[0].http == {"response": {"status": 500}}
    assert run.subscribers["Inbox"].received == []
    assert run.summary["messages"]["rejected"] == 1


def test_a_slow_fault_adds_its_milliseconds_to_the_publish() -> None:
    faults = [{"component": "Topic", "kind": "slow", "value": 500, "from_s": 0, "to_s": 100}]
    run = simulate(topology({"Inbox": {}}), {"Inbox": {}}, faults=faults)

    assert run.subscribers["Inbox"].times == [pytest.approx(0.510)]


# FIFO topics -----------------------------------------------------------------------------
def fifo_topology(*, fifo: bool = True, content_based: bool = True, delivery_ms: Any = 30) -> dict[str, Any]:
    """A FIFO (or standard) topic with one raw subscriber queue of the same type."""
    topic_properties = {"FifoTopic": True, "ContentBasedDeduplication": content_based} if fifo else {}
    behavior = {"publish_ms": 10, "delivery_ms": delivery_ms}
    topic = {"properties": topic_properties, "behavior": behavior}
    document = topology({"Orders": {"RawMessageDelivery": True}}, topic=topic)
    document["components"][1]["properties"] = {"FifoQueue": fifo}
    return document


def test_a_fifo_topic_drops_a_duplicate_publish_within_five_minutes_and_delivers_it_after() -> None:
    source = {"target": "Topic", "rate": {"per_second": 1 / 200}, "count": 3, "payload": {"same": True},
              "group_id": "g1"}
    run = simulate(fifo_topology(), {"Orders": {}}, source=source, duration_s=1000)

    assert run.subscribers["Orders"].times == [pytest.approx(0.030), pytest.approx(400.030)]
    assert run.metric("NumberOfMessagesPublished") == 3
    assert run.summary["messages"]["completed"] == 3
    deduplication_id = run.subscribers["Orders"].received[0].message.deduplication_id
    assert deduplication_id is not None and len(deduplication_id) == 64  # SHA-256 of the body, in hex


def test_a_fifo_topic_refuses_a_publish_without_a_message_group_id() -> None:
    run = simulate(fifo_topology(), {"Orders": {}})

    assert run.summary["messages"]["rejected"] == 1
    assert run.segments[0].http == {"response": {"status": 400}}
    assert run.subscribers["Orders"].received == []


def test_a_fifo_topic_without_content_based_deduplication_needs_a_deduplication_id() -> None:
    refused = simulate(fifo_topology(content_based=False), {"Orders": {}},
                       source={"target": "Topic", "rate": {"per_second": 1}, "count": 1, "group_id": "g1"})
    accepted = simulate(fifo_topology(content_based=False), {"Orders": {}},
                        source={"target": "Topic", "rate": {"per_second": 1}, "count": 1, "group_id": "g1",
                                "deduplication_id": "$message_id"})

    assert refused.summary["messages"]["rejected"] == 1
    assert [r.message.deduplication_id for r in accepted.subscribers["Orders"].received] == ["msg-000001"]


def in_group_order(subscriber: Subscriber) -> bool:
    by_group: dict[str | None, list[int]] = {}
    for received in subscriber.received:
        by_group.setdefault(received.message.group_id, []).append(received.message.payload["n"])
    return all(numbers == sorted(numbers) for numbers in by_group.values())


def test_a_fifo_topic_delivers_each_group_in_publish_order_where_a_standard_topic_would_not() -> None:
    source = {"target": "Topic", "rate": {"per_second": 100}, "count": 60, "payload": {"n": "$seq"},
              "group_id": {"$choice": ["g1", "g2"]}}
    spread = {"median": 40, "p99": 2000}
    fifo = simulate(fifo_topology(delivery_ms=spread), {"Orders": {}}, source=source)
    standard = simulate(fifo_topology(fifo=False, delivery_ms=spread), {"Orders": {}}, source=source)

    assert len(fifo.subscribers["Orders"].received) == 60
    assert in_group_order(fifo.subscribers["Orders"])
    assert not in_group_order(standard.subscribers["Orders"])


# Topology checks -------------------------------------------------------------------------
def rules(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.rule, p.pointer) for p in problems]


def test_content_based_deduplication_on_a_standard_topic_is_a_problem() -> None:
    document = topology({"Inbox": {}}, topic={"properties": {"ContentBasedDeduplication": True}})

    assert rules(check_topology(document)) == [("sns-fifo-only", "/components/0/properties/ContentBasedDeduplication")]


def test_a_fifo_topic_subscribed_by_anything_but_a_fifo_queue_is_a_problem() -> None:
    document = topology({"Inbox": {}, "Handler": {}}, topic={"properties": {"FifoTopic": True}},
                        kinds={"Handler": "lambda"})

    assert rules(check_topology(document)) == [("sns-fifo-subscriber", "/connections/0/target"),
                                               ("sns-fifo-subscriber", "/connections/1/target")]


def test_a_fifo_topic_with_fifo_queues_for_subscriber_and_dead_letter_queue_has_no_problem() -> None:
    document = fifo_topology()
    document["connections"][0]["properties"]["RedrivePolicy"] = {"deadLetterTargetArn": "OrdersDLQ"}
    document["components"].append({"id": "OrdersDLQ", "kind": "sqs", "properties": {"FifoQueue": True}})

    assert check_topology(document) == []


def test_raw_delivery_to_a_lambda_subscriber_is_a_problem() -> None:
    document = topology({"Handler": {"RawMessageDelivery": True}}, kinds={"Handler": "lambda"})

    assert rules(check_topology(document)) == [("sns-raw-delivery", "/connections/0/properties/RawMessageDelivery")]


def test_a_dead_letter_queue_that_is_not_an_sqs_queue_is_a_problem() -> None:
    document = topology({"Inbox": {"RedrivePolicy": {"deadLetterTargetArn": "Handler"}}}, kinds={"Handler": "lambda"})

    assert rules(check_topology(document)) == [
        ("sns-dead-letter-queue", "/connections/0/properties/RedrivePolicy/deadLetterTargetArn")]


def test_a_standard_queue_as_the_dead_letter_queue_of_a_fifo_subscription_is_a_problem() -> None:
    document = fifo_topology()
    document["connections"][0]["properties"]["RedrivePolicy"] = {"deadLetterTargetArn": "Spare"}
    document["components"].append({"id": "Spare", "kind": "sqs"})

    assert rules(check_topology(document)) == [
        ("sns-dead-letter-queue", "/connections/0/properties/RedrivePolicy/deadLetterTargetArn")]


def test_a_fifo_queue_as_the_dead_letter_queue_of_a_standard_subscription_is_a_problem() -> None:
    document = topology({"Inbox": {"RedrivePolicy": {"deadLetterTargetArn": "Spare"}}})
    document["components"][2]["properties"] = {"FifoQueue": True}

    assert rules(check_topology(document)) == [
        ("sns-dead-letter-queue", "/connections/0/properties/RedrivePolicy/deadLetterTargetArn")]


def test_a_nested_filter_policy_is_valid_for_the_message_body_scope_only() -> None:
    nested = {"order": {"amount": [{"numeric": [">", 10]}]}}

    def problems_with(scope: str) -> list[tuple[str, str]]:
        subscription = {"FilterPolicy": nested, "FilterPolicyScope": scope}
        built = Topology("nested", {"Topic": ComponentSpec("Topic", "sns", {"FifoTopic": False}, {}, 0),
                                    "Inbox": ComponentSpec("Inbox", "sqs", {}, {}, 1)},
                         (ConnectionSpec("Topic", "Inbox", "subscription", subscription, 0),), {})
        return rules(sns.check(built.components["Topic"], built))

    assert problems_with("MessageBody") == []
    assert problems_with("MessageAttributes") == [("sns-filter-policy", "/connections/0/properties/FilterPolicy")]


# With the real SQS queues ----------------------------------------------------------------
def test_a_queue_subscriber_holds_its_copy_until_a_consumer_takes_it() -> None:
    run = simulate(topology({"Inbox": {}, "Audit": {}}), {"Audit": {}})

    inbox = run.summary["components"]["Inbox"]
    assert (inbox["NumberOfMessagesSent"], inbox["ApproximateNumberOfMessagesVisible"]) == (1, 1)
    assert run.metric("NumberOfNotificationsDelivered") == 2
    assert run.summary["messages"]["in_flight"] == 1  # nobody consumes Inbox


def test_a_real_dead_letter_queue_stores_the_copy_without_keeping_the_message_open() -> None:
    subscriptions = {"Partner": {"RedrivePolicy": {"deadLetterTargetArn": "PartnerDLQ"}}}
    run = simulate(topology(subscriptions), {"Partner": {"protocol": "http", "answer": always(500)}})

    dead_letters = run.summary["components"]["PartnerDLQ"]
    assert dead_letters["ApproximateNumberOfMessagesVisible"] == 1
    assert (run.summary["messages"]["dead_lettered"], run.summary["messages"]["in_flight"]) == (1, 0)


def test_a_fifo_topic_hands_its_deduplication_id_to_a_real_fifo_queue() -> None:
    source = {"target": "Topic", "rate": {"per_second": 10}, "count": 3, "payload": {"n": "$seq"},
              "group_id": "g1"}
    run = simulate(fifo_topology(), {}, source=source)

    orders = run.summary["components"]["Orders"]
    assert (orders["NumberOfMessagesSent"], orders["ApproximateNumberOfMessagesVisible"]) == (3, 3)
    assert orders["NumberOfDeduplicatedSentMessages"] == 0


# Metrics and cost ------------------------------------------------------------------------
def test_cost_counts_each_64_kb_chunk_of_a_publish_and_each_http_delivery() -> None:
    source = {"target": "Topic", "rate": {"per_second": 1}, "count": 1, "payload": "x" * 100_000}
    run = simulate(topology({"Partner": {"RawMessageDelivery": True}, "Inbox": {}}),
                   {"Partner": {"protocol": "http"}, "Inbox": {}}, source=source)

    assert run.metric("PublishSize") == 100_000
    assert run.summary["cost_usd"]["by_component"]["Topic"] == pytest.approx(2 * 0.50e-6 + 0.60e-6)


def test_the_timestamp_is_iso_8601_in_utc_with_milliseconds() -> None:
    assert sns.sns_timestamp(3661.5) == "2026-01-01T01:01:01.500Z"
