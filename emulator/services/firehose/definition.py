"""The firehose kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.firehose.delivery_stream import DeliveryStream

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """A delivery stream delivers to exactly one destination, and reads at most one Kinesis stream."""
    problems: list[Problem] = []
    deliveries = topology.outgoing(spec.id, "delivery")
    if not deliveries:
        problems.append(Problem(spec.pointer, f"{spec.id} has nowhere to deliver: connect it to an S3 bucket with "
                                "a delivery connection", spec.id))
    for extra in deliveries[1:]:
        problems.append(Problem(extra.pointer, "a delivery stream has one destination; remove this delivery "
                                "connection or the other one", extra.label))
    for extra in topology.incoming(spec.id, "event_source")[1:]:
        problems.append(Problem(extra.pointer, "a delivery stream reads at most one Kinesis stream (its "
                                "KinesisStreamSourceConfiguration)", extra.label))
    return problems


KIND = Kind(
    name="firehose",
    title="Firehose delivery stream",
    cloudformation_type="AWS::KinesisFirehose::DeliveryStream",
    description="Buffers records and delivers them to S3 as objects, by size or by interval, whichever first.",
    runtime=DeliveryStream,
    entry_point=True,
    origin="AWS::KinesisFirehose::DeliveryStream",
    check=check,
    properties=(
        Field("SizeInMBs", "integer", 5, "Buffering hint: deliver once this much is buffered (BufferingHints).",
              minimum=1, maximum=128, unit="MB"),
        Field("IntervalInSeconds", "integer", 300, "Buffering hint: deliver at the latest this long after the "
              "first buffered record (BufferingHints; 0 delivers at once).", minimum=0, maximum=900,
              unit="seconds"),
    ),
    behavior=(
        Field("latency_ms", "duration", {"median": 20, "p99": 80}, "How long a PutRecord takes inside Firehose."),
    ),
)
