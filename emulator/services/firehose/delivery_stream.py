"""A Firehose delivery stream at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.kernel import Event
from emulator.messages import COMPLETED, LOST, Message
from emulator.pricing import FIREHOSE_PER_GB, FIREHOSE_RECORD_ROUNDING_BYTES
from emulator.services.base import OK, Call, Component, Link, Reply, call, mark
from emulator.services.shards import Reader, Shard
from emulator.tracing import EPOCH, Segment

if TYPE_CHECKING:
    from emulator.services.kinesis.stream import Stream

MEBIBYTE = 1024 * 1024
# S3 delivery is retried for up to 24 hours, backing off up to a minute between attempts.
RETRY_FOR_S = 24 * 3600.0
RETRY_BACKOFF_S = (1.0, 60.0)
KINESIS_SOURCE_POLL_S = 1.0


class Buffered:
    """A record waiting in the buffer: its message copy, where its trace hangs, its size."""

    __slots__ = ("message", "parent_id", "size", "arrival")

    def __init__(self, message: Message, parent_id: str | None, size: int, arrival: float) -> None:
        self.message = message
        self.parent_id = parent_id
        self.size = size
        self.arrival = arrival


class Delivery:
    """One buffer's worth on its way to S3 as one object, with its attempts."""

    __slots__ = ("records", "key", "first_attempt", "attempts", "size", "tracked", "waiting")

    def __init__(self, records: list[Buffered], key: str, first_attempt: float) -> None:
        self.records = records
        self.key = key
        self.first_attempt = first_attempt
        self.attempts = 0
        self.size = sum(record.size for record in records)
        # How many of its records hold a ledger token, and whether it waits for a retry.
        self.tracked = sum(1 for record in records if record.message.tracked)
        self.waiting = False


class DeliveryStream(Component):
    """Buffers records (PutRecord, or read from a Kinesis stream) and writes them to S3 as objects."""

    def connect(self) -> None:
        self.size_limit = int(self.properties["SizeInMBs"]) * MEBIBYTE
        self.interval_s = float(self.properties["IntervalInSeconds"])
        self.latency = Duration.from_spec(self.behavior["latency_ms"])
        deliveries = self.links("delivery")
        self.destination: Link | None = deliveries[0] if deliveries else None
        self.buffer: list[Buffered] = []
        self.buffer_bytes = 0
        self._timer: Event | None = None
        self.objects = 0
        self.incoming_records = self.incoming_bytes = self.billed_bytes = 0
        self.delivered_records = self.delivered_bytes = self.delivery_attempts = self.delivery_failures = 0
        self.dropped_records = 0
        # Tracked records in deliveries under way, and in deliveries waiting for a retry.
        self.delivering = self.retrying = 0
        self.requests = 0
        self.freshness = Latencies()
        self.readers: list[SourceReader] = []

    def start(self) -> None:
        # The source stream's shards exist once every component is connected.
        for link in self.incoming:
            if link.role == "event_source":
                stream = cast("Stream", link.source)
                for shard in stream.shards:
                    self.readers.append(SourceReader(self, shard))

    def operation(self, link: Link | None) -> str:
        return "PutRecord"

    # Direct PUT ---------------------------------------------------------------------------
    def request(self, call_: Call) -> None:
        now = self.kernel.now
        self.requests += 1
        if self.refused_by_outage(call_, now):
            return
        faults = self.faults
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = {"operation": "PutRecord", "delivery_stream_name": self.id}
        latency_s = self.latency.sample(self.rng) / 1000.0
        reply: Reply = OK
        if faults:
            latency_s += faults.extra_ms(now) / 1000.0
            if faults.throttled(now):
                reply = Reply(400, "ServiceUnavailableException", f"Slow down: {self.id} is over its limits")
            elif self.rng.random() < faults.error_rate(now, 0.0):
                reply = Reply(500, "ServiceUnavailableException", "Internal failure (injected fault)")
        if reply.ok:
            self.accept(message, segment.id, message.size_bytes)
            segment.annotations["outcome"] = "ok"
        else:
            segment.annotations["outcome"] = "throttled" if reply.status == 400 else "error"
            mark(segment, reply, self.segment_id())
        segment.end_time = EPOCH + now + latency_s
        self.emit(segment)
        self.kernel.schedule(latency_s, call_.reply, reply)

    def accept(self, message: Message, parent_id: str | None, size: int) -> None:
        """Take a record into the buffer (the buffer holds its own copy); deliver when it is full."""
        now = self.kernel.now
        if message.tracked:
            self.sim.ledger.hold(message.record)
        self.incoming_records += 1
        self.incoming_bytes += size
        self.billed_bytes += math.ceil(size / FIREHOSE_RECORD_ROUNDING_BYTES) * FIREHOSE_RECORD_ROUNDING_BYTES
        self.buffer.append(Buffered(message, parent_id, size, now))
        self.buffer_bytes += size
        if self.buffer_bytes >= self.size_limit:
            self._flush()
        elif self._timer is None:
            self._timer = self.kernel.schedule(self.interval_s, self._flush)

    # Delivery -----------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._timer is not None:
            self.kernel.cancel(self._timer)
            self._timer = None
        if not self.buffer:
            return
        records, self.buffer, self.buffer_bytes = self.buffer, [], 0
        now = self.kernel.now
        self.objects += 1
        moment = datetime.fromtimestamp(EPOCH + now, tz=UTC)
        # Firehose's default object name: a UTC YYYY/MM/DD/HH prefix, the stream's name and the time.
        key = f"{moment:%Y/%m/%d/%H}/{self.id}-1-{moment:%Y-%m-%d-%H-%M-%S}-{self.objects:06d}"
        delivery = Delivery(records, key, now)
        self.delivering += delivery.tracked
        self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        now = self.kernel.now
        if delivery.waiting:
            delivery.waiting = False
            self.retrying -= delivery.tracked
            self.delivering += delivery.tracked
        delivery.attempts += 1
        self.delivery_attempts += 1
        first = delivery.records[0]
        if self.destination is None:
            self._dropped(delivery)
            return
        # One segment per record: the hop of each message's trace into the object.
        segments: list[Segment] = []
        for record in delivery.records:
            segment = self.new_segment(record.message, record.parent_id, now)
            segment.aws = {"operation": "PutObject", "delivery_stream_name": self.id}
            segment.annotations["attempt"] = delivery.attempts
            segment.annotations["object_key"] = delivery.key
            segment.annotations["records_in_object"] = len(delivery.records)
            segments.append(segment)
            self.open_segments[segment.id] = segment
        payload = {"key": delivery.key, "records": len(delivery.records), "size": delivery.size}
        # The object's notifications continue the trace of its first record.
        body = first.message.copy(payload=payload)

        def answered(reply: Reply) -> None:
            end = EPOCH + self.kernel.now
            for segment in segments:
                segment.end_time = end
                segment.annotations["outcome"] = "ok" if reply.ok else "error"
                if not reply.ok:
                    mark(segment, reply, self.segment_id())
                del self.open_segments[segment.id]
                self.emit(segment)
            if reply.ok:
                self._delivered(delivery)
            else:
                self.delivery_failures += 1
                self._retry(delivery)

        call(self, segments[0], self.destination, body, answered, sdk_retries=False)

    def _delivered(self, delivery: Delivery) -> None:
        now = self.kernel.now
        self.delivering -= delivery.tracked
        release = self.sim.ledger.release
        for record in delivery.records:
            self.freshness.add((now - record.arrival) * 1000.0)
            if record.message.tracked:
                release(record.message.record, COMPLETED, now)
        self.delivered_records += len(delivery.records)
        self.delivered_bytes += delivery.size

    def _retry(self, delivery: Delivery) -> None:
        low, high = RETRY_BACKOFF_S
        delay = min(high, low * 2.0 ** min(delivery.attempts - 1, 16))
        if self.kernel.now + delay - delivery.first_attempt > RETRY_FOR_S:
            self._dropped(delivery)
            return
        delivery.waiting = True
        self.delivering -= delivery.tracked
        self.retrying += delivery.tracked
        self.kernel.schedule(delay, self._deliver, delivery)

    def _dropped(self, delivery: Delivery) -> None:
        """Given up on (24 hours of failed deliveries): the records are lost."""
        now = self.kernel.now
        self.delivering -= delivery.tracked
        self.dropped_records += len(delivery.records)
        for record in delivery.records:
            if record.message.tracked:
                self.sim.ledger.release(record.message.record, LOST, now)

    # Reporting -----------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "IncomingRecords": self.incoming_records,
            "IncomingBytes": self.incoming_bytes,
            "DeliveryToS3.Records": self.delivered_records,
            "DeliveryToS3.Bytes": self.delivered_bytes,
            "DeliveryToS3.Success": round((self.delivery_attempts - self.delivery_failures)
                                          / self.delivery_attempts, 4) if self.delivery_attempts else 0.0,
            "DeliveryToS3.DataFreshness": self.freshness.percentiles((50, 99), with_max=True),
            "DeliveryToS3.ObjectCount": self.objects,
            "RecordsDropped": self.dropped_records,
        }

    def gauges(self) -> dict[str, float]:
        return {"buffered": float(len(self.buffer))}

    def in_flight(self) -> dict[str, int]:
        """Records in the buffer ("buffered"), in an object being written to S3 ("delivering"), or
        in one waiting to be written again ("waiting_for_retry")."""
        buffered = sum(1 for record in self.buffer if record.message.tracked)
        states = {"buffered": buffered, "delivering": self.delivering, "waiting_for_retry": self.retrying}
        return {state: count for state, count in states.items() if count}

    def activity(self) -> tuple[int, int, int]:
        return (self.incoming_records, self.delivery_failures, 0)

    def cost_usd(self) -> float:
        return self.billed_bytes / 1024 ** 3 * FIREHOSE_PER_GB


class SourceReader(Reader):
    """Firehose reading one shard of its Kinesis source stream, once a second."""

    def __init__(self, firehose: DeliveryStream, shard: Shard) -> None:
        self.firehose = firehose
        self.shard = shard
        self.kernel = firehose.kernel
        self.position = shard.next_sequence
        self._poll: Event | None = None
        shard.readers.append(self)

    def woken(self) -> None:
        if self._poll is None:
            turn = math.ceil(self.kernel.now / KINESIS_SOURCE_POLL_S - 1e-9) * KINESIS_SOURCE_POLL_S
            self._poll = self.kernel.schedule_at(turn, self.poll)

    def poll(self) -> None:
        self._poll = None
        records = self.shard.get_records(self.position, 10_000)
        if records is None:
            self.kernel.schedule(KINESIS_SOURCE_POLL_S, self.woken)
            return
        now = self.kernel.now
        release = self.firehose.sim.ledger.release
        for record in records:
            # The buffer takes its token before the stream's reader gives its own back.
            self.firehose.accept(record.message, record.parent_id, record.size)
            if record.message.tracked:
                release(record.message.record, COMPLETED, now)
        if records:
            self.position = records[-1].sequence + 1
            self.shard.forget_read()
        if self.shard.available(self.position) > 0:
            self._poll = self.kernel.schedule(KINESIS_SOURCE_POLL_S, self.poll)
