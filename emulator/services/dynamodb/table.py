"""A DynamoDB table at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import math
from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
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
        self.latencies = Latencies()
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
        self.latencies.add(latency_ms)
        self.kernel.schedule(latency_ms / 1000.0, call_.reply, OK)

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

    def cost_usd(self) -> float:
        if self.provisioned:
            hours = self.kernel.now / 3600.0
            return hours * (self.reads.per_second * DYNAMODB_PER_RCU_HOUR
                            + self.writes.per_second * DYNAMODB_PER_WCU_HOUR)
        return (self.consumed_read * DYNAMODB_PER_READ_REQUEST_UNIT
                + self.consumed_write * DYNAMODB_PER_WRITE_REQUEST_UNIT)
