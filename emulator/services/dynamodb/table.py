"""A DynamoDB table at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import hashlib
import importlib
import math
from collections.abc import Callable
from typing import Any, Final

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.pricing import (
    DYNAMODB_PER_RCU_HOUR,
    DYNAMODB_PER_READ_REQUEST_UNIT,
    DYNAMODB_PER_WCU_HOUR,
    DYNAMODB_PER_WRITE_REQUEST_UNIT,
)
from emulator.services.base import OK, Call, Component, Link, Reply
from emulator.services.dynamodb.stream import TableStream
from emulator.services.shards import held_records
from emulator.tracing import EPOCH

_READS: Final = frozenset({"GetItem", "Query"})
_STORES: Final = frozenset({"PutItem", "UpdateItem"})
# The attribute a status table stamps on each item it stores: when the write took effect
# (epoch seconds), as an application's own "updated at" would.
UPDATED_AT: Final = "updated_at"
BURST_SECONDS: Final = 300.0
# What one partition serves per second, whatever the table's capacity ("Best practices for
# designing and using partition keys effectively").
PARTITION_WCU: Final = 1000.0
PARTITION_RCU: Final = 3000.0
# A new on-demand table serves up to 4,000 writes and 12,000 reads per second: four partitions.
ON_DEMAND_PARTITIONS: Final = 4


def _md5_function() -> Callable[[bytes], Any]:
    """CPython's own MD5 when it is built in: for a key of a few bytes it is twice as fast as
    hashlib's OpenSSL one, which sets up a digest context per call. The same digests either way."""
    try:
        md5: Callable[[bytes], Any] = importlib.import_module("_md5").md5
    except ImportError:
        return lambda data: hashlib.md5(data, usedforsecurity=False)
    return md5


_md5: Final = _md5_function()


class CapacityBucket:
    """Provisioned capacity units per second, with up to 300 s of unused capacity kept as burst."""

    __slots__ = ("per_second", "most", "_units", "_refilled_at")

    def __init__(self, per_second: float, burst_seconds: float = BURST_SECONDS) -> None:
        self.per_second = per_second
        self.most = per_second * burst_seconds
        self._units = per_second  # a new table starts with one second's worth
        self._refilled_at = 0.0

    def take(self, units: float, now: float) -> bool:
        self._units = min(self.most, self._units + (now - self._refilled_at) * self.per_second)
        self._refilled_at = now
        if self._units >= units:
            self._units -= units
            return True
        return False

    def give_back(self, units: float) -> None:
        """Return units just taken, for a request refused after all (a throttled request consumes nothing)."""
        self._units = min(self.most, self._units + units)


class Table(Component):
    def connect(self) -> None:
        self.provisioned = self.properties["BillingMode"] == "PROVISIONED"
        self.reads = CapacityBucket(self.properties["ReadCapacityUnits"])
        self.writes = CapacityBucket(self.properties["WriteCapacityUnits"])
        read_capacity = float(self.properties["ReadCapacityUnits"])
        write_capacity = float(self.properties["WriteCapacityUnits"])
        # DynamoDB's own sizing rule: enough partitions for the capacity, at 3,000 RCU and 1,000 WCU each.
        self.partitions = (max(1, math.ceil(read_capacity / PARTITION_RCU + write_capacity / PARTITION_WCU))
                           if self.provisioned else ON_DEMAND_PARTITIONS)
        # Hard limits per partition: no burst beyond one second's worth.
        self.partition_reads = [CapacityBucket(PARTITION_RCU, 1.0) for _ in range(self.partitions)]
        self.partition_writes = [CapacityBucket(PARTITION_WCU, 1.0) for _ in range(self.partitions)]
        key_field = self.behavior["partition_key"]
        self.partition_key: str | None = None if key_field is None else str(key_field)
        self.latency = Duration.from_spec(self.behavior["latency_ms"])
        item_kb = float(self.behavior["item_kb"])
        self.read_units = math.ceil(item_kb / 4.0)
        self.write_units = math.ceil(item_kb)
        self.consumed_read = self.consumed_write = 0.0
        self.read_throttles = self.write_throttles = 0
        self.latencies = Latencies()
        self.requests = 0
        status = self.behavior.get("status_attribute")
        self.status_attribute: str | None = None if status is None else str(status)
        # Key -> (status, when written): only the state a status read needs, one entry per key.
        self.items: dict[str, tuple[Any, float]] | None = None if status is None else {}
        view_type = self.properties.get("StreamViewType")
        self.stream: TableStream | None = None if view_type is None else TableStream(self, view_type,
                                                                                    self.partition_key)

    def operation(self, link: Link | None) -> str:
        if link is None:
            return "PutItem"
        return str(link.properties.get("Operation") or "PutItem")

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.requests += 1
        if self.refused_by_outage(call_, now):
            return
        faults = self.faults
        read = call_.operation in _READS
        units = self.read_units if read else self.write_units
        partition = self._partition(call_) if self.partitions > 1 else 0
        partition_buckets = self.partition_reads if read else self.partition_writes
        table_bucket = self.reads if read else self.writes
        partition_bucket = partition_buckets[partition]
        if self.provisioned and not table_bucket.take(units, now):
            throttled = True
        elif not partition_bucket.take(units, now):
            throttled = True
            if self.provisioned:
                table_bucket.give_back(units)  # a throttled request consumes none of the table's capacity
        elif faults and faults.throttled(now):
            throttled = True
            partition_bucket.give_back(units)
            if self.provisioned:
                table_bucket.give_back(units)
        else:
            throttled = False
        if throttled:
            if read:
                self.read_throttles += 1
            else:
                self.write_throttles += 1
            reply = Reply(400, "ProvisionedThroughputExceededException",
                          f"The level of configured provisioned throughput for the table {self.id} was exceeded "
                          f"(partition {partition} of {self.partitions})")
            self.kernel.schedule(0.002, call_.reply, reply)
            return
        if read:
            self.consumed_read += units
        else:
            self.consumed_write += units
        latency_ms = self.latency.sample(self.rng)
        if faults:
            latency_ms += faults.extra_ms(now)
            if self.rng.random() < faults.error_rate(now, 0.0):
                self.kernel.schedule(latency_ms / 1000.0, call_.reply,
                                     Reply(500, "InternalServerError", "Internal server error (injected fault)"))
                return
        self.latencies.add(latency_ms)
        if self.stream is not None:
            self.stream.change(call_, partition)
        if self.items is not None:
            self.kernel.schedule(latency_ms / 1000.0, self._keep, call_)
            return
        self.kernel.schedule(latency_ms / 1000.0, call_.reply, OK)

    def _keep(self, call_: Call) -> None:
        """Serve a request on a status table as it completes: a write takes effect, a read sees what is there."""
        items = self.items
        assert items is not None and self.partition_key is not None and self.status_attribute is not None
        payload = call_.message.payload
        key = payload.get(self.partition_key) if isinstance(payload, dict) else None
        operation = call_.operation
        if key is None:
            call_.reply(OK)
        elif operation in _STORES:
            status = payload.get(self.status_attribute)
            if status is not None:
                items[str(key)] = (status, self.kernel.now)
            call_.reply(OK)
        elif operation == "DeleteItem":
            items.pop(str(key), None)
            call_.reply(OK)
        elif operation == "GetItem":
            item = items.get(str(key))
            # GetItem answers without an Item when there is none with that key.
            call_.reply(Reply(200, payload={} if item is None else {"Item": {
                self.partition_key: key, self.status_attribute: item[0], UPDATED_AT: EPOCH + item[1]}}))
        else:
            call_.reply(OK)

    def _partition(self, call_: Call) -> int:
        """The partition the item's key hashes to (the message id when the payload has no key)."""
        message = call_.message
        key: Any = message.message_id
        if self.partition_key is not None and isinstance(message.payload, dict):
            key = message.payload.get(self.partition_key, key)
        digest: bytes = _md5(str(key).encode()).digest()
        # int.from_bytes(digest[:8]) % partitions, a byte at a time: the same number, in small ints.
        partitions = self.partitions
        value = 0
        for index in range(8):
            value = (value * 256 + digest[index]) % partitions
        return value

    def finish(self) -> None:
        if self.stream is not None:
            self.stream.finish()
        super().finish()

    def metrics(self) -> dict[str, Any]:

        return {
            "ConsumedReadCapacityUnits": self.consumed_read,
            "ConsumedWriteCapacityUnits": self.consumed_write,
            "ReadThrottleEvents": self.read_throttles,
            "WriteThrottleEvents": self.write_throttles,
            "ThrottledRequests": self.read_throttles + self.write_throttles,
            "SuccessfulRequestLatency": self.latencies.percentiles(),
        }

    def activity(self) -> tuple[int, int, int]:
        return (self.requests, 0, self.read_throttles + self.write_throttles)

    def in_flight(self) -> dict[str, int]:
        """The records of its stream that its readers hold (see ``shards.held_records``)."""
        return {} if self.stream is None else held_records(self.stream.shards)

    def cost_usd(self) -> float:
        if self.provisioned:
            hours = self.kernel.now / 3600.0
            return hours * (self.reads.per_second * DYNAMODB_PER_RCU_HOUR
                            + self.writes.per_second * DYNAMODB_PER_WCU_HOUR)
        return (self.consumed_read * DYNAMODB_PER_READ_REQUEST_UNIT
                + self.consumed_write * DYNAMODB_PER_WRITE_REQUEST_UNIT)
