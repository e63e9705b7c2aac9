"""Amazon DynamoDB tables: reads and writes, capacity, throttling.

Rules (DynamoDB developer guide: "Read/write capacity mode", "Burst capacity"): with
PROVISIONED billing, one WCU is one write per second of an item up to 1 KB and one RCU one
strongly consistent read per second of up to 4 KB; DynamoDB keeps up to 300 seconds of unused
capacity as burst; beyond that a request fails with ProvisionedThroughputExceededException
(HTTP 400), which the SDKs retry with backoff. PAY_PER_REQUEST (on-demand) tables are not
throttled here.
"""

from __future__ import annotations

import math
from typing import Any

from emulator.definitions import Field, Kind
from emulator.distributions import Duration
from emulator.pricing import (
    DYNAMODB_PER_RCU_HOUR,
    DYNAMODB_PER_READ_REQUEST_UNIT,
    DYNAMODB_PER_WCU_HOUR,
    DYNAMODB_PER_WRITE_REQUEST_UNIT,
)
from emulator.services.base import OK, Call, Component, Link, Reply, service_unavailable

_READS = frozenset({"GetItem", "Query"})
BURST_SECONDS = 300.0


class CapacityBucket:
    """Provisioned capacity units per second, with up to 300 s of unused capacity kept as burst."""

    __slots__ = ("per_second", "_units", "_refilled_at")

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._units = per_second  # a new table starts with one second's worth
        self._refilled_at = 0.0

    def take(self, units: float, now: float) -> bool:
        self._units = min(self.per_second * BURST_SECONDS, self._units + (now - self._refilled_at) * self.per_second)
        self._refilled_at = now
        if self._units >= units:
            self._units -= units
            return True
        return False


class Table(Component):
    def connect(self) -> None:
        self.provisioned = self.properties["BillingMode"] == "PROVISIONED"
        self.reads = CapacityBucket(self.properties["ReadCapacityUnits"])
        self.writes = CapacityBucket(self.properties["WriteCapacityUnits"])
        self.latency = Duration.from_spec(self.behavior["latency_ms"])
        item_kb = float(self.behavior["item_kb"])
        self.read_units = math.ceil(item_kb / 4.0)
        self.write_units = math.ceil(item_kb)
        self.consumed_read = self.consumed_write = 0.0
        self.read_throttles = self.write_throttles = 0
        self.latencies: list[float] = []
        self.requests = 0

    def operation(self, link: Link | None) -> str:
        if link is None:
            return "PutItem"
        return str(link.properties.get("Operation") or "PutItem")

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.requests += 1
        faults = self.faults
        if faults and faults.unavailable(now):
            self.kernel.schedule(0.001, call_.reply, service_unavailable(self.id))
            return
        read = call_.operation in _READS
        units = self.read_units if read else self.write_units
        if (self.provisioned and not (self.reads if read else self.writes).take(units, now)) or (
            faults and faults.throttled(now)
        ):
            if read:
                self.read_throttles += 1
            else:
                self.write_throttles += 1
            reply = Reply(400, "ProvisionedThroughputExceededException",
                          f"The level of configured provisioned throughput for the table {self.id} was exceeded")
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
        self.latencies.append(latency_ms)
        self.kernel.schedule(latency_ms / 1000.0, call_.reply, OK)

    def metrics(self) -> dict[str, Any]:
        from emulator.simulation import percentiles

        return {
            "ConsumedReadCapacityUnits": self.consumed_read,
            "ConsumedWriteCapacityUnits": self.consumed_write,
            "ReadThrottleEvents": self.read_throttles,
            "WriteThrottleEvents": self.write_throttles,
            "ThrottledRequests": self.read_throttles + self.write_throttles,
            "SuccessfulRequestLatency": percentiles(self.latencies),
        }

    def cost_usd(self) -> float:
        if self.provisioned:
            hours = self.kernel.now / 3600.0
            return hours * (self.reads.per_second * DYNAMODB_PER_RCU_HOUR
                            + self.writes.per_second * DYNAMODB_PER_WCU_HOUR)
        return (self.consumed_read * DYNAMODB_PER_READ_REQUEST_UNIT
                + self.consumed_write * DYNAMODB_PER_WRITE_REQUEST_UNIT)



KIND = Kind(
    name="dynamodb",
    title="DynamoDB table",
    cloudformation_type="AWS::DynamoDB::Table",
    description="A key-value table with provisioned or on-demand capacity; over capacity it throttles.",
    runtime=Table,
    entry_point=True,
    origin="AWS::DynamoDB::Table",
    properties=(
        Field("BillingMode", "string", "PROVISIONED", "PROVISIONED: capacity units you set, throttled beyond "
              "them. PAY_PER_REQUEST: on demand, billed per request.", enum=("PROVISIONED", "PAY_PER_REQUEST")),
        Field("ReadCapacityUnits", "integer", 5, "Strongly consistent reads per second of items up to 4 KB "
              "(PROVISIONED only).", minimum=1, maximum=40000, unit="RCU"),
        Field("WriteCapacityUnits", "integer", 5, "Writes per second of items up to 1 KB (PROVISIONED only).",
              minimum=1, maximum=40000, unit="WCU"),
    ),
    behavior=(
        Field("latency_ms", "duration", {"median": 5, "p99": 20}, "How long a request takes inside DynamoDB."),
        Field("item_kb", "number", 1, "Typical item size; sets the capacity units each request consumes.",
              minimum=0.001, maximum=400, unit="KB"),
    ),
)
