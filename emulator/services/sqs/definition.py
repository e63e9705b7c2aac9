"""The sqs kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.sqs.queue import Queue

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology


# Checks across the topology -----------------------------------------------------------------
_FIFO_ONLY = (
    ("ContentBasedDeduplication", True),
    ("DeduplicationScope", "messageGroup"),
    ("FifoThroughputLimit", "perMessageGroupId"),
)


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """FIFO-only settings, the redrive policy, and which topics a FIFO queue may subscribe to."""
    fifo = bool(spec.properties.get("FifoQueue"))
    problems = _check_fifo_settings(spec, fifo)
    problems.extend(_check_redrive(spec, topology, fifo))
    if fifo:
        problems.extend(_check_topics(spec, topology))
    return problems


def _check_fifo_settings(spec: ComponentSpec, fifo: bool) -> list[Problem]:
    problems: list[Problem] = []
    where = f"{spec.pointer}/properties"
    properties = spec.properties
    if not fifo:
        for name, value in _FIFO_ONLY:
            if properties.get(name) == value:
                problems.append(Problem(f"{where}/{name}", f"{name} {value!r} applies only to FIFO queues; set "
                                        f"FifoQueue to true or remove {name}", spec.id, rule="sqs-fifo-only"))
    elif properties.get("FifoThroughputLimit") == "perMessageGroupId" and \
            properties.get("DeduplicationScope") != "messageGroup":
        problems.append(Problem(f"{where}/FifoThroughputLimit", "FifoThroughputLimit 'perMessageGroupId' is "
                                "allowed only when DeduplicationScope is 'messageGroup' (high throughput mode needs "
                                "both)", spec.id, rule="sqs-high-throughput"))
    return problems


def _check_redrive(spec: ComponentSpec, topology: Topology, fifo: bool) -> list[Problem]:
    problems: list[Problem] = []
    redrives = topology.outgoing(spec.id, "dead_letter")
    for extra in redrives[1:]:
        problems.append(Problem(extra.pointer, f"{spec.id} already sends failed messages to {redrives[0].target}; "
                                "a queue has one dead-letter queue (one RedrivePolicy)", spec.id,
                                rule="sqs-one-dead-letter-queue"))
    for connection in redrives:
        target = topology.components.get(connection.target)
        if target is None or target.kind != "sqs":
            continue
        if target.id == spec.id:
            problems.append(Problem(f"{connection.pointer}/target", "a queue cannot be its own dead-letter queue",
                                    spec.id, rule="sqs-dead-letter-queue"))
        elif bool(target.properties.get("FifoQueue")) != fifo:
            own, other = ("FIFO", "standard") if fifo else ("standard", "FIFO")
            problems.append(Problem(f"{connection.pointer}/target", f"the dead-letter queue of a {own} queue must "
                                    f"also be a {own} queue; {target.id} is a {other} queue", spec.id,
                                    rule="sqs-dead-letter-queue"))
    return problems


def _check_topics(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    for connection in topology.incoming(spec.id, "subscription"):
        topic = topology.components.get(connection.source)
        if topic is not None and not topic.properties.get("FifoTopic", False):
            problems.append(Problem(f"{connection.pointer}/source", f"{spec.id} is a FIFO queue and {topic.id} a "
                                    "standard topic; a FIFO queue can subscribe only to a FIFO topic (set FifoTopic "
                                    "to true, or make the queue standard)", spec.id, rule="sqs-fifo-subscription"))
    return problems


KIND = Kind(
    name="sqs",
    title="SQS queue",
    cloudformation_type="AWS::SQS::Queue",
    description="A queue: consumers poll it; visibility timeout, redrive to a dead-letter queue, retention, "
                "at-least-once delivery (standard) or ordered, deduplicated delivery per group (FIFO).",
    runtime=Queue,
    entry_point=True,
    origin="AWS::SQS::Queue",
    check=check,
    properties=(
        Field("FifoQueue", "boolean", False, "A FIFO queue keeps order per MessageGroupId and drops repeated "
              "sends within 5 minutes; a standard queue delivers at least once, in best-effort order."),
        Field("ContentBasedDeduplication", "boolean", False, "FIFO only: a send without MessageDeduplicationId "
              "uses the SHA-256 hash of its body instead."),
        Field("DeduplicationScope", "string", "queue", "FIFO only: repeated sends are recognised across the "
              "whole queue or within each message group.", enum=("queue", "messageGroup")),
        Field("FifoThroughputLimit", "string", "perQueue", "FIFO only: perQueue allows 300 SendMessage calls per "
              "second for the queue; perMessageGroupId (high throughput mode, needs DeduplicationScope "
              "messageGroup) lifts that limit.", enum=("perQueue", "perMessageGroupId")),
        Field("VisibilityTimeout", "integer", 30, "How long a received message stays hidden from other "
              "consumers; if it is not deleted by then it is visible again, its receive count one higher.",
              minimum=0, maximum=43200, unit="seconds"),
        Field("MessageRetentionPeriod", "integer", 345600, "How long the queue keeps a message (from when it was "
              "sent); older messages are deleted unread (lost). Default 4 days.",
              minimum=60, maximum=1209600, unit="seconds"),
        Field("DelaySeconds", "integer", 0, "Every new message stays invisible this long after it is sent.",
              minimum=0, maximum=900, unit="seconds"),
        Field("ReceiveMessageWaitTimeSeconds", "integer", 0, "Long polling: how long a receive waits for a "
              "message to arrive (0 = short polling).", minimum=0, maximum=20, unit="seconds"),
    ),
    behavior=(
        Field("send_ms", "duration", {"median": 4, "p99": 15}, "How long a SendMessage takes to answer."),
        Field("duplicate_delivery_rate", "number", 0.0005, "Standard queues: the chance that a receive leaves a "
              "second copy of the message behind (at-least-once delivery).", minimum=0, maximum=1),
    ),
)
