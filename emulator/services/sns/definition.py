"""The sns kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.matching import (
    InvalidPatternError,
    validate_filter_policy,
)
from emulator.problems import Problem
from emulator.services.sns.topic import Topic

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, ConnectionSpec, Topology


REDRIVE_POLICY = Field(
    "RedrivePolicy", "object", None,
    'Where messages go when delivery fails for good: {"deadLetterTargetArn": "<queue id>"}.',
    fields=(Field("deadLetterTargetArn", "string", None, "The id of the subscription's dead-letter queue.",
                  required=True, references_component=True),),
)


# Checks across the topology ------------------------------------------------------------
def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """FIFO misuse, subscribers a topic of this type cannot deliver to, dead-letter queues of the wrong kind."""
    problems: list[Problem] = []
    fifo = bool(spec.properties.get("FifoTopic"))
    if spec.properties.get("ContentBasedDeduplication") and not fifo:
        problems.append(Problem(f"{spec.pointer}/properties/ContentBasedDeduplication",
                                "ContentBasedDeduplication applies only to FIFO topics; set FifoTopic to true "
                                "or remove ContentBasedDeduplication", spec.id, rule="sns-fifo-only"))
    for connection in topology.outgoing(spec.id, "subscription"):
        problems.extend(_check_subscriber(connection, fifo, topology))
        problems.extend(_check_filter_policy(connection))
        problems.extend(_check_dead_letter_queue(connection, fifo, topology))
    return problems


def _check_filter_policy(connection: ConnectionSpec) -> list[Problem]:
    """The policy against its own scope (nested keys are valid for MessageBody only)."""
    policy = connection.properties.get("FilterPolicy")
    if not isinstance(policy, dict):
        return []
    scope = connection.properties.get("FilterPolicyScope") or "MessageAttributes"
    try:
        validate_filter_policy(policy, scope)
    except InvalidPatternError as error:
        return [Problem(f"{connection.pointer}/properties/FilterPolicy", f"is not a valid SNS filter policy for "
                        f"FilterPolicyScope {scope}: {error}", connection.label, rule="sns-filter-policy")]
    return []


def _is_fifo_queue(spec: ComponentSpec) -> bool:
    return spec.kind == "sqs" and bool(spec.properties.get("FifoQueue"))


def _check_subscriber(connection: ConnectionSpec, fifo: bool, topology: Topology) -> list[Problem]:
    target = topology.components[connection.target]
    problems: list[Problem] = []
    # (A FIFO queue under a standard topic is the SQS module's check: it is reported on the queue.)
    if fifo and not _is_fifo_queue(target):
        what = "a standard SQS queue" if target.kind == "sqs" else f"a {target.kind}"
        problems.append(Problem(f"{connection.pointer}/target", f"a FIFO topic delivers only to FIFO SQS queues; "
                                f"{target.id} is {what} (set its FifoQueue to true, or make the topic standard)",
                                connection.label, rule="sns-fifo-subscriber"))
    if connection.properties.get("RawMessageDelivery") and target.kind == "lambda":
        problems.append(Problem(f"{connection.pointer}/properties/RawMessageDelivery",
                                "Delivery protocol [lambda] does not support raw message delivery; raw delivery "
                                "is for SQS, HTTP/S and Firehose subscribers", connection.label,
                                rule="sns-raw-delivery"))
    return problems


def _check_dead_letter_queue(connection: ConnectionSpec, fifo: bool, topology: Topology) -> list[Problem]:
    redrive = connection.properties.get("RedrivePolicy")
    if not isinstance(redrive, dict):
        return []
    where = f"{connection.pointer}/properties/RedrivePolicy/deadLetterTargetArn"
    queue = topology.components.get(redrive.get("deadLetterTargetArn", ""))
    if queue is None:
        return []  # the topology loader reports a reference to a missing component
    if queue.kind != "sqs":
        return [Problem(where, f"a subscription's dead-letter queue must be an SQS queue; {queue.id} is a "
                        f"{queue.kind}", connection.label, rule="sns-dead-letter-queue")]
    if _is_fifo_queue(queue) != fifo:
        topic, needed = ("a FIFO", "a FIFO queue") if fifo else ("a standard", "a standard queue")
        return [Problem(where, f"the dead-letter queue of {topic} topic's subscription must be {needed}; "
                        f"{queue.id} is not", connection.label, rule="sns-dead-letter-queue")]
    return []


KIND = Kind(
    name="sns",
    title="SNS topic",
    cloudformation_type="AWS::SNS::Topic",
    description="A pub/sub topic: each published message is copied to every subscription whose filter policy "
                "matches, with its own retries and dead-letter queue.",
    runtime=Topic,
    entry_point=True,
    origin="AWS::SNS::Topic",
    check=check,
    properties=(
        Field("FifoTopic", "boolean", False, "A FIFO topic: ordered per message group, deduplicated, and "
              "delivering to FIFO SQS queues only."),
        Field("ContentBasedDeduplication", "boolean", False, "FIFO topics only: use the SHA-256 of the body as "
              "the deduplication id when a publish gives none."),
    ),
    behavior=(
        Field("publish_ms", "duration", {"median": 15, "p99": 60}, "How long a Publish call takes."),
        Field("delivery_ms", "duration", {"median": 40, "p99": 200},
              "From a publish to a subscriber's delivery (each subscription draws its own)."),
    ),
)
