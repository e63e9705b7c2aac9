"""A Kinesis data stream at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.pricing import (
    KINESIS_EXTENDED_RETENTION_PER_SHARD_HOUR,
    KINESIS_PER_PUT_PAYLOAD_UNIT,
    KINESIS_PER_SHARD_HOUR,
    KINESIS_PUT_PAYLOAD_UNIT_BYTES,
)
from emulator.services.awslambda.stream_mapping import KINESIS_POLL_S, attach
from emulator.services.base import OK, Call, Component, Link, Reply, mark
from emulator.services.shards import Shard, even_ranges, hash_key, held_records, shard_for
from emulator.tracing import EPOCH

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Per shard ("Kinesis Data Streams quotas and limits").
WRITE_RECORDS_PER_SECOND = 1000.0
WRITE_BYTES_PER_SECOND = 1024.0 * 1024.0
READ_CALLS_PER_SECOND = 5.0
READ_BYTES_PER_SECOND = 2.0 * 1024.0 * 1024.0
DEFAULT_RETENTION_HOURS = 24
LIMITS = (WRITE_RECORDS_PER_SECOND, WRITE_BYTES_PER_SECOND, READ_CALLS_PER_SECOND, READ_BYTES_PER_SECOND)
# A refusal is answered at once.
REFUSAL_S = 0.002


class Stream(Component):
    """A Kinesis data stream: PutRecord from any caller, shards read by event source mappings."""

    def connect(self) -> None:
        count = int(self.properties["ShardCount"])
        self.retention_hours = int(self.properties["RetentionPeriodHours"])
        retention_s = self.retention_hours * 3600.0
        self.stream_arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{self.id}"
        self.shards: list[Shard] = []
        for index, hash_range in enumerate(even_ranges(count)):
            self.shards.append(Shard(self, index, f"shardId-{index:012d}", hash_range, retention_s, LIMITS))
        key_field = self.behavior["partition_key"]
        self.partition_key_field: str | None = None if key_field is None else str(key_field)
        self.latency = Duration.from_spec(self.behavior["latency_ms"])
        self.incoming_records = self.incoming_bytes = self.write_exceeded = self.requests = 0
        self.put_payload_units = 0
        self.errors = 0
        self.mappings = attach(self, self.shards, KINESIS_POLL_S, "KinesisBatchInfo", self.stream_arn)

    def operation(self, link: Link | None) -> str:
        return "PutRecord"

    def partition_key(self, call_: Call) -> str:
        """The record's partition key: the message's ``partition_key`` attribute, else the payload
        field the ``partition_key`` behavior names, else the message id."""
        message = call_.message
        key = message.attributes.get("partition_key")
        if key is None and self.partition_key_field is not None and isinstance(message.payload, dict):
            key = message.payload.get(self.partition_key_field)
        return message.message_id if key is None else str(key)

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.requests += 1
        if self.refused_by_outage(call_, now):
            return
        faults = self.faults
        message = call_.message
        key = self.partition_key(call_)
        shard = shard_for(self.shards, hash_key(key))
        size = message.size_bytes + len(key.encode())
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = {"operation": "PutRecord", "stream_name": self.id, "shard_id": shard.shard_id}
        annotations = segment.annotations
        annotations["partition_key"] = key
        annotations["shard_id"] = shard.shard_id
        reply: Reply = OK
        if not shard.write_records.take(1.0, now):
            reply = self._exceeded(shard, "records")
        elif not shard.write_bytes.take(float(size), now):
            shard.write_records.give_back(1.0)
            reply = self._exceeded(shard, "bytes")
        elif faults and faults.throttled(now):
            shard.write_records.give_back(1.0)
            shard.write_bytes.give_back(float(size))
            reply = self._exceeded(shard, "requests (injected fault)")
        if not reply.ok:
            self.write_exceeded += 1
            self._answer(call_, segment, reply, REFUSAL_S, "throttled")
            return
        latency_s = self.latency.sample(self.rng) / 1000.0
        if faults:
            latency_s += faults.extra_ms(now) / 1000.0
            if self.rng.random() < faults.error_rate(now, 0.0):
                self.errors += 1
                self._answer(call_, segment, Reply(500, "InternalFailure", "Internal service failure "
                                                   "(injected fault)"), latency_s, "error")
                return
        record = shard.append(message, key, segment.id, size, call_.delivery)
        self.incoming_records += 1
        self.incoming_bytes += size
        self.put_payload_units += -(-size // KINESIS_PUT_PAYLOAD_UNIT_BYTES)
        annotations["sequence_number"] = record.sequence_number
        self._answer(call_, segment, OK, latency_s, "ok")

    def _exceeded(self, shard: Shard, what: str) -> Reply:
        return Reply(400, "ProvisionedThroughputExceededException",
                     f"Rate exceeded for shard {shard.shard_id} in stream {self.id} ({what}: a shard takes "
                     "1,000 records and 1 MB per second)")

    def _answer(self, call_: Call, segment: Any, reply: Reply, delay_s: float, outcome: str) -> None:
        now = self.kernel.now
        segment.end_time = EPOCH + now + delay_s
        segment.annotations["outcome"] = outcome
        mark(segment, reply, self.segment_id())
        self.emit(segment)
        self.kernel.schedule(delay_s, call_.reply, reply)

    def finish(self) -> None:
        for shard in self.shards:
            for reader in shard.readers:
                reader.finish()
        super().finish()

    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {
            "IncomingRecords": self.incoming_records,
            "IncomingBytes": self.incoming_bytes,
            "WriteProvisionedThroughputExceeded": self.write_exceeded,
            "ReadProvisionedThroughputExceeded": sum(shard.read_throttles for shard in self.shards),
            "ExpiredRecords": sum(shard.expired for shard in self.shards),
            "GetRecords.IteratorAgeMilliseconds": round(max(shard.iterator_age_ms for shard in self.shards), 1),
        }
        return metrics

    def in_flight(self) -> dict[str, int]:
        return held_records(self.shards)

    def gauges(self) -> dict[str, float]:
        return {"records": float(sum(len(shard.records) for shard in self.shards))}

    def activity(self) -> tuple[int, int, int]:
        return (self.requests, self.errors, self.write_exceeded)

    def cost_usd(self) -> float:
        hours = self.kernel.now / 3600.0
        shard_hours = hours * len(self.shards)
        extended = KINESIS_EXTENDED_RETENTION_PER_SHARD_HOUR if self.retention_hours > DEFAULT_RETENTION_HOURS else 0.0
        return shard_hours * (KINESIS_PER_SHARD_HOUR + extended) + self.put_payload_units * KINESIS_PER_PUT_PAYLOAD_UNIT
