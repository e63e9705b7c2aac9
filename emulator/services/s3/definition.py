"""The s3 kind: its behavior keys, and the checks of its notification connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.s3.bucket import Bucket

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology

EVENT_TYPES = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete")


def _one_rule_of_each(rules: list[dict[str, str]]) -> str | None:
    names = [rule["Name"].lower() for rule in rules]
    return "a filter has at most one prefix rule and one suffix rule" if len(set(names)) < len(names) else None


EVENTS = Field(
    "Events", "array", ["s3:ObjectCreated:*"], "The S3 event types that notify: s3:ObjectCreated:* or :Put, "
    "s3:ObjectRemoved:* or :Delete.", min_size=1, max_size=len(EVENT_TYPES),
    items=Field("event type", "string", None, "An S3 event type.", enum=EVENT_TYPES),
)
# S3 API reference, "FilterRule": Name is prefix or suffix; a key is at most 1,024 bytes.
FILTER = Field(
    "Filter", "object", None, 'Prefix and suffix rules on the object key: {"S3Key": {"Rules": '
    '[{"Name": "prefix", "Value": "images/"}, {"Name": "suffix", "Value": ".jpg"}]}}.',
    fields=(Field("S3Key", "object", None, "The key's rules.", required=True, fields=(
        Field("Rules", "array", None, "At most one prefix rule and one suffix rule.", required=True, min_size=1,
              max_size=2, check=_one_rule_of_each,
              items=Field("rule", "object", None, "One rule on the key.", fields=(
                  Field("Name", "string", None, "prefix or suffix.", required=True,
                        enum=("prefix", "suffix", "Prefix", "Suffix")),
                  Field("Value", "string", None, "What the key starts or ends with.", required=True, max_size=1024),
              ))),
    )),),
)


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """The operations callers perform (notifications' Events and Filter are shapes: EVENTS, FILTER)."""
    problems: list[Problem] = []
    for connection in topology.incoming(spec.id, "request"):
        operation = connection.properties.get("Operation")
        if operation is not None and operation not in ("PutObject", "DeleteObject"):
            problems.append(Problem(f"{connection.pointer}/properties/Operation", f"{operation} is not an S3 "
                                    "operation: use PutObject or DeleteObject", connection.label))
    return problems


KIND = Kind(
    name="s3",
    title="S3 bucket",
    cloudformation_type="AWS::S3::Bucket",
    description="Objects written by functions or Firehose; event notifications to Lambda, SQS or SNS.",
    runtime=Bucket,
    entry_point=True,
    origin="AWS::S3::Bucket",
    check=check,
    behavior=(
        Field("latency_ms", "duration", {"median": 25, "p99": 100}, "How long a PutObject or DeleteObject takes."),
        Field("duplicate_notification_rate", "number", 0.0, "The chance that an event notification is delivered "
              "twice (S3 notifications are at-least-once; AWS gives no rate).", minimum=0, maximum=1),
    ),
)
