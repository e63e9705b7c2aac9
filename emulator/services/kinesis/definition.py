"""The kinesis kind: its CloudFormation properties and behavior keys."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.services.kinesis.stream import Stream

KIND = Kind(
    name="kinesis",
    title="Kinesis data stream",
    cloudformation_type="AWS::Kinesis::Stream",
    description="Shards of ordered records: 1,000 records and 1 MB per second per shard, read by "
                "event source mappings one batch at a time.",
    runtime=Stream,
    entry_point=True,
    origin="AWS::Kinesis::Stream",
    properties=(
        Field("ShardCount", "integer", 1, "Shards in the stream: each takes 1,000 records and 1 MB per second "
              "and serves 2 MB and 5 GetRecords calls per second (provisioned mode).", minimum=1, maximum=500),
        Field("RetentionPeriodHours", "integer", 24, "How long records stay readable; older records are gone "
              "(lost if no consumer read them).", minimum=24, maximum=8760, unit="hours"),
    ),
    behavior=(
        Field("latency_ms", "duration", {"median": 15, "p99": 60}, "How long a PutRecord takes inside Kinesis."),
        Field("partition_key", "string", None, "The payload field that holds each record's partition key, when "
              "the message has no partition_key attribute. Without either, the message id (spread evenly).",
              min_size=1, max_size=255),
    ),
)
