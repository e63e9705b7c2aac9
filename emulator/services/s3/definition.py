"""The s3 kind: its behavior keys, and the checks of its notification connections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.s3.bucket import Bucket

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology

EVENT_TYPES = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete")


def _filter_problem(value: Any) -> str | None:
    if value is None:
        return None
    rules = value.get("S3Key", {}).get("Rules") if isinstance(value, dict) and isinstance(value.get("S3Key"), dict) \
        else None
    if not isinstance(rules, list) or set(value) != {"S3Key"} or set(value["S3Key"]) != {"Rules"}:
        return 'must be {"S3Key": {"Rules": [{"Name": "prefix" or "suffix", "Value": "..."}]}}'
    names = []
    for rule in rules:
        if not (isinstance(rule, dict) and set(rule) == {"Name", "Value"} and isinstance(rule["Value"], str)
                and str(rule["Name"]).lower() in ("prefix", "suffix")):
            return 'each rule must be {"Name": "prefix" or "suffix", "Value": "<text>"}'
        names.append(str(rule["Name"]).lower())
    if len(set(names)) < len(names):
        return "a filter has at most one prefix rule and one suffix rule"
    return None


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """Notification event types and key filters; the operations callers perform."""
    problems: list[Problem] = []
    for connection in topology.outgoing(spec.id, "notification"):
        events = connection.properties.get("Events")
        if events is not None and (not isinstance(events, list) or not events
                                   or any(event not in EVENT_TYPES for event in events)):
            problems.append(Problem(f"{connection.pointer}/properties/Events",
                                    f"must be a non-empty list of {', '.join(EVENT_TYPES)}", connection.label))
        problem = _filter_problem(connection.properties.get("Filter"))
        if problem is not None:
            problems.append(Problem(f"{connection.pointer}/properties/Filter", problem, connection.label))
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
