"""Lambda event source mappings for streams: Kinesis data streams and DynamoDB streams.

Rules (Lambda developer guide: "Using Lambda with Kinesis Data Streams", "Polling and batching
streams", "Handling errors for a Kinesis event source", "Using Lambda with DynamoDB",
"Configuring partial batch response with Kinesis Data Streams and Lambda", "Lambda event
source mapping parameters"; CreateEventSourceMapping API reference):

- One poller per shard. Lambda polls a Kinesis shard once a second (a DynamoDB stream four
  times a second); a GetRecords call reads what is there (up to 10,000 records, within the
  shard's read limits) and the poller invokes the function with batches of up to BatchSize
  records (default 100), waiting up to MaximumBatchingWindowInSeconds for a batch to fill.
- Per shard, one batch at a time; ParallelizationFactor (1-10) runs that many batches of a
  shard at once, records of the same partition key always in the same one, so order is kept
  per key.
- A failing batch is retried, whole, blocking what comes after it in its shard (or in its
  partition-key slice with ParallelizationFactor), until it succeeds, MaximumRetryAttempts
  (-1 = until the records expire) is exhausted, its records are older than
  MaximumRecordAgeInSeconds (-1 = until they expire) or they expire. Then the
  DestinationConfig OnFailure destination (SQS or SNS) receives a record describing the batch
  (KinesisBatchInfo / DDBStreamBatchInfo: shard, first and last sequence numbers, arrival
  times), not the records themselves, and the poller moves on.
- BisectBatchOnFunctionError splits a failing batch in two and retries the halves, first half
  first; splitting does not count as a retry, so the retries are spent once the bad record is
  alone in its batch.
- With FunctionResponseTypes ReportBatchItemFailures the function names its failed records;
  the checkpoint moves to the lowest failed sequence number and the batch is retried from there
  (the records after it that had succeeded run again).
- Throttles and Lambda service errors are retried with backoff without counting as retries.
- StartingPosition: the mappings exist from the run's start, so TRIM_HORIZON and LATEST both
  read every record written during the run.
- FilterCriteria (see ``filtering.py``): a record read that matches no filter is skipped, the
  checkpoint moving past it (completed, with a Lambda segment with outcome ``filtered_out`` in
  its trace); batches are formed from the matching records only.
- IteratorAge (a Lambda metric, ms): the age of the last record of each batch when the
  function is invoked with it.

The ledger: each record is held by the mapping from the moment it is written (see
``emulator/services/shards.py``) and given back completed when a batch with it succeeds,
dead-lettered when its batch's description reached the OnFailure destination, lost when the
record expired or its batch was skipped with nowhere to describe it.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.histogram import Latencies
from emulator.kernel import Event
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST
from emulator.problems import Problem
from emulator.services.awslambda.filtering import compile_filters, dynamodb_document, kinesis_document
from emulator.services.base import Link, Reply, call
from emulator.services.shards import Reader, Shard, StreamRecord, hash_key
from emulator.tracing import epoch

if TYPE_CHECKING:
    from emulator.services.awslambda.function import Function
    from emulator.services.awslambda.invocation import Result
    from emulator.services.base import Component
    from emulator.topology import ComponentSpec, ConnectionSpec, Topology

DEFAULT_BATCH_SIZE = 100
# What one GetRecords call returns at most, and what a poller keeps read ahead of its batches.
GET_RECORDS_LIMIT = 10_000
KINESIS_POLL_S = 1.0
DYNAMODB_POLL_S = 0.25
THROTTLE_BACKOFF_S = (1.0, 60.0)
_SHARED_KEY = "lambda.stream_mappings"


class StreamMapping:
    """The event source mapping of one stream to one function: a poller per shard."""

    def __init__(self, link: Link, shards: list[Shard], poll_s: float, batch_info_key: str, source_arn: str) -> None:
        function: Function = link.target  # type: ignore[assignment]
        self.function = function
        self.kernel = function.kernel
        self.link = link
        self.poll_s = poll_s
        self.batch_info_key = batch_info_key
        self.source_arn = source_arn
        properties = link.properties
        self.batch_size = int(properties.get("BatchSize") or DEFAULT_BATCH_SIZE)
        self.window_s = float(properties.get("MaximumBatchingWindowInSeconds") or 0)
        self.parallelization = int(properties.get("ParallelizationFactor") or 1)
        self.bisect = bool(properties.get("BisectBatchOnFunctionError"))
        retries = properties.get("MaximumRetryAttempts")
        self.maximum_retry_attempts = -1 if retries is None else int(retries)
        age = properties.get("MaximumRecordAgeInSeconds")
        self.maximum_record_age_s = -1.0 if age is None else float(age)
        self.report_failures = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
        self.on_failure: Link | None = None
        destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination:
            self.on_failure = _destination_link(function, function.sim.components[str(destination)], link.spec)
        mappings: dict[str, list[StreamMapping]] = function.sim.shared_state(_SHARED_KEY, dict)
        siblings = mappings.setdefault(function.id, [])
        # The function's IteratorAge covers all its stream mappings, as the CloudWatch metric does.
        self.iterator_ages: Latencies = siblings[0].iterator_ages if siblings else Latencies()
        siblings.append(self)
        self.batches = self.skipped_batches = self.destination_failures = 0
        self.filters = compile_filters(properties.get("FilterCriteria"))
        self.document = dynamodb_document if link.source.kind.name == "dynamodb" else kinesis_document
        self.polled = self.filtered_out = 0
        self.consumers = [ShardConsumer(self, shard) for shard in shards]


def _destination_link(function: Component, target: Component, spec: ConnectionSpec) -> Link:
    """A link for the mapping's OnFailure destination (named in a property, not drawn as a connection)."""
    from emulator.topology import ConnectionSpec

    return Link(function, target, ConnectionSpec(function.id, target.id, "on_failure", {}, spec.index))


def attach(source: Component, shards: list[Shard], poll_s: float, batch_info_key: str,
           source_arn: str) -> list[StreamMapping]:
    """Start a mapping for each of the stream's ``event_source`` connections to a function; its pollers
    read every shard (a Firehose source reads the stream itself)."""
    return [StreamMapping(link, shards, poll_s, batch_info_key, source_arn) for link in source.links("event_source")
            if link.target.kind.name == "lambda"]


def stream_metrics(function: Component) -> dict[str, Any]:
    """The function's metrics from its stream mappings (IteratorAge), merged over mappings."""
    mappings: list[StreamMapping] = function.sim.shared.get(_SHARED_KEY, {}).get(function.id, [])
    if not mappings:
        return {}
    metrics: dict[str, Any] = {"IteratorAge": mappings[0].iterator_ages.percentiles((50, 99), with_max=True)}
    if any(mapping.on_failure is not None for mapping in mappings):
        metrics["DestinationDeliveryFailures"] = sum(mapping.destination_failures for mapping in mappings)
    filtering = [mapping for mapping in mappings if mapping.filters is not None]
    if filtering:
        metrics["PolledEventCount"] = sum(mapping.polled for mapping in filtering)
        metrics["FilteredOutEventCount"] = sum(mapping.filtered_out for mapping in filtering)
    return metrics


class ShardConsumer(Reader):
    """The poller of one shard: reads ahead, hands records to its lanes (one per parallel batch)."""

    def __init__(self, mapping: StreamMapping, shard: Shard) -> None:
        self.mapping = mapping
        self.shard = shard
        self.kernel = mapping.kernel
        self.position = shard.next_sequence
        self.lanes = [Lane(self, index) for index in range(mapping.parallelization)]
        self.buffered = 0
        self.held = 0  # of the buffered records, those that hold a ledger token
        self.next_poll = 0.0
        self._poll: Event | None = None
        shard.readers.append(self)

    def woken(self) -> None:
        if self._poll is None and self.shard.available(self.position) > 0 and self.buffered < GET_RECORDS_LIMIT:
            # The poller polls on a fixed cadence: new records wait for its next turn.
            poll_s = self.mapping.poll_s
            turn = math.ceil(self.kernel.now / poll_s - 1e-9) * poll_s
            self._poll = self.kernel.schedule_at(max(self.next_poll, turn), self.poll)

    def poll_if_due(self) -> None:
        """Poll now if a poll is due now (a lane whose batching window ends now takes what it reads)."""
        if self._poll is not None and self.next_poll <= self.kernel.now:
            self.kernel.cancel(self._poll)
            self.poll()

    def poll(self) -> None:
        self._poll = None
        now = self.kernel.now
        self.next_poll = now + self.mapping.poll_s
        records = self.shard.get_records(self.position, GET_RECORDS_LIMIT - self.buffered)
        if records is None:
            self.woken()  # refused by the read limit: try again at the next poll
            return
        if not records:
            self.woken()
            return
        self.position = records[-1].sequence + 1
        self.shard.forget_read()
        if self.mapping.filters is not None:
            records = self._filter(records)
        self.buffered += len(records)
        self.held += sum(1 for record in records if record.message.tracked)
        self.woken()
        if not records:
            return
        lanes = self.lanes
        if len(lanes) == 1:
            lanes[0].pending.extend(records)
        else:
            for record in records:
                lanes[hash_key(record.partition_key) % len(lanes)].pending.append(record)
        for lane in lanes:
            lane.pump()

    def _filter(self, records: list[StreamRecord]) -> list[StreamRecord]:
        """The records some filter matches; the checkpoint moves past the others, their traces saying why."""
        mapping = self.mapping
        matches = mapping.filters
        assert matches is not None
        document = mapping.document
        mapping.polled += len(records)
        function = mapping.function
        ledger = function.sim.ledger
        now = self.kernel.now
        kept = []
        for record in records:
            if matches(document(record)):
                kept.append(record)
                continue
            mapping.filtered_out += 1
            segment = function.new_segment(record.message, record.parent_id, now)
            segment.origin = "AWS::Lambda"
            segment.annotations["shard_id"] = self.shard.shard_id
            segment.annotations["sequence_number"] = record.sequence_number
            segment.annotations["outcome"] = "filtered_out"
            segment.end_time = epoch(now)
            function.emit(segment)
            if record.message.tracked:
                ledger.release(record.message.record, COMPLETED, now)
        return kept

    def finish(self) -> None:
        for lane in self.lanes:
            lane.finish()

    def held_read(self) -> int:
        return self.held


class Lane:
    """One batch at a time over the records of its partition keys, in order."""

    def __init__(self, consumer: ShardConsumer, index: int) -> None:
        self.consumer = consumer
        self.mapping = consumer.mapping
        self.kernel = consumer.kernel
        self.index = index
        self.pending: deque[StreamRecord] = deque()
        self.batch: list[StreamRecord] = []
        # Second halves of bisected batches, the latest last: each is a batch of its own.
        self.splits: list[list[StreamRecord]] = []
        self.retries = 0
        self.throttle_retries = 0
        self._wake_scheduled = False
        # The last segment that handled the batch: a failure record hangs under it.
        self.last_segment: str | None = None

    def pump(self) -> None:
        if self.batch or self._wake_scheduled:
            return
        if self.splits:
            self._start(self.splits.pop())
            return
        mapping = self.mapping
        pending = self.pending
        if not pending:
            self.consumer.woken()
            return
        now = self.kernel.now
        if mapping.window_s > 0 and len(pending) < mapping.batch_size and now < pending[0].arrival + mapping.window_s:
            self._wake_at(pending[0].arrival + mapping.window_s)
            return
        count = min(mapping.batch_size, len(pending))
        self._start([pending.popleft() for _ in range(count)])

    def _start(self, batch: list[StreamRecord]) -> None:
        self.batch = batch
        self.retries = self.throttle_retries = 0
        self.last_segment = None
        self._invoke()

    def _wake_at(self, time: float) -> None:
        self._wake_scheduled = True
        self.kernel.schedule_at(time, self._wake)

    def _wake(self) -> None:
        self._wake_scheduled = False
        if self.batch:
            self._invoke()
        else:
            self.consumer.poll_if_due()
            self.pump()

    def _invoke(self) -> None:
        from emulator.services.awslambda.invocation import Record

        mapping = self.mapping
        now = self.kernel.now
        retention_s = self.consumer.shard.retention_s
        live = [record for record in self.batch if record.arrival + retention_s > now]
        if len(live) < len(self.batch):
            # Expired while the batch was retried: gone from the stream, and with them their place.
            for record in self.batch:
                if record.arrival + retention_s <= now:
                    self.consumer.shard.expired += 1
                    self._settle([record], LOST)
            self.batch = live
            if not live:
                self._next()
                return
        batch = self.batch
        if mapping.maximum_record_age_s >= 0 and now - batch[0].arrival > mapping.maximum_record_age_s:
            self._skip("RecordAgeExceeded")
            return
        mapping.iterator_ages.add((now - batch[-1].arrival) * 1000.0)
        mapping.batches += 1
        records = []
        for record in batch:
            record.deliveries += 1
            records.append(Record(record.message, record.parent_id,
                                  {"attempt": record.deliveries, "shard_id": self.consumer.shard.shard_id,
                                   "sequence_number": record.sequence_number}, asynchronous=True,
                                  delivery=record.delivery))
        mapping.function.invoke(records, self._invoked, report_failures=mapping.report_failures)

    def _invoked(self, result: Result) -> None:
        mapping = self.mapping
        batch = self.batch
        first = result.records[0].segment if result.records else None
        if first is not None:
            self.last_segment = first.id
        if result.throttled or result.system_error:
            low, high = THROTTLE_BACKOFF_S
            delay = min(high, low * 2.0 ** min(self.throttle_retries, 16))
            self.throttle_retries += 1
            self._wake_at(self.kernel.now + delay)
            return
        if result.reply.ok:
            failures = result.batch_item_failures
            if not failures:
                self._settle(batch, COMPLETED)
                self._next()
                return
            # Checkpoint at the lowest failed sequence number: what is before it is done.
            lowest = min(failures)
            self._settle(batch[:lowest], COMPLETED)
            self.batch = batch[lowest:]
            self._failed()
            return
        if mapping.bisect and len(batch) > 1:
            # Split: the first half is retried now, the second is the next batch after it.
            middle = (len(batch) + 1) // 2
            self.splits.append(batch[middle:])
            self.batch = batch[:middle]
            self._wake_at(self.kernel.now)
            return
        self._failed()

    def _failed(self) -> None:
        """The batch failed: retry it after a poll interval, or skip it once the retries are spent."""
        mapping = self.mapping
        self.retries += 1
        if 0 <= mapping.maximum_retry_attempts < self.retries:
            self._skip("RetryAttemptsExhausted")
            return
        self._wake_at(self.kernel.now + mapping.poll_s)

    def _skip(self, condition: str) -> None:
        """Give up on the batch: describe it to the OnFailure destination, if any, and move on."""
        mapping = self.mapping
        batch = self.batch
        mapping.skipped_batches += 1
        if mapping.on_failure is None:
            self._settle(batch, LOST)
            self._next()
            return
        function = mapping.function
        first = batch[0]
        info = self._batch_record(condition)
        copy = first.message.copy(payload=info, tracked=False)
        segment = function.new_segment(copy, self.last_segment or first.parent_id, self.kernel.now)
        segment.origin = "AWS::Lambda"
        segment.annotations["attempt"] = first.deliveries
        segment.annotations["outcome"] = "on_failure"
        segment.metadata = {"lambda": {"destination": mapping.on_failure.target.id, "record": info}}

        def answered(reply: Reply) -> None:
            segment.end_time = epoch(self.kernel.now)
            if reply.ok or reply.status == 202:
                self._settle(batch, DEAD_LETTERED)
            else:
                mapping.destination_failures += 1
                segment.annotations["outcome"] = "on_failure_failed"
                self._settle(batch, LOST)
            function.emit(segment)

        self.batch = []
        call(function, segment, mapping.on_failure, copy, answered)
        self._next()

    def _batch_record(self, condition: str) -> dict[str, Any]:
        """What Lambda sends the OnFailure destination for a skipped stream batch (AWS's shape)."""
        mapping = self.mapping
        batch = self.batch
        function = mapping.function
        now = self.kernel.now

        def timestamp(virtual: float) -> str:
            return datetime.fromtimestamp(epoch(virtual), tz=UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z")

        return {
            "requestContext": {
                "requestId": batch[0].message.message_id,
                "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{function.id}",
                "condition": condition,
                "approximateInvokeCount": batch[0].deliveries,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": timestamp(now),
            mapping.batch_info_key: {
                "shardId": self.consumer.shard.shard_id,
                "startSequenceNumber": batch[0].sequence_number,
                "endSequenceNumber": batch[-1].sequence_number,
                "approximateArrivalOfFirstRecord": timestamp(batch[0].arrival),
                "approximateArrivalOfLastRecord": timestamp(batch[-1].arrival),
                "batchSize": len(batch),
                "streamArn": mapping.source_arn,
            },
        }

    def _settle(self, records: list[StreamRecord], outcome: int) -> None:
        ledger = self.mapping.function.sim.ledger
        now = self.kernel.now
        consumer = self.consumer
        for record in records:
            if record.message.tracked:
                consumer.held -= 1
                ledger.release(record.message.record, outcome, now)
        consumer.buffered -= len(records)

    def _next(self) -> None:
        self.batch = []
        self.pump()

    def finish(self) -> None:
        """The run ends: records past retention still waiting here are lost; the rest stay in flight."""
        now = self.kernel.now
        retention_s = self.consumer.shard.retention_s
        waiting = self.batch + [record for split in self.splits for record in split] + list(self.pending)
        expired = [record for record in waiting if record.arrival + retention_s <= now]
        self.consumer.shard.expired += len(expired)
        self._settle(expired, LOST)


# Where Lambda can send the record of a skipped stream batch ("Retaining discarded batches for a
# Kinesis or DynamoDB event source": SQS queues, SNS topics, and S3 buckets for Kinesis).
_ON_FAILURE_KINDS = {"kinesis": ("sqs", "sns", "s3"), "dynamodb": ("sqs", "sns")}


def check_stream_mappings(function: ComponentSpec, topology: Topology) -> list[Problem]:
    """What CreateEventSourceMapping refuses for a stream source: an OnFailure destination of the wrong kind."""
    problems: list[Problem] = []
    for connection in topology.incoming(function.id, "event_source"):
        source_kind = topology.components[connection.source].kind
        allowed = _ON_FAILURE_KINDS.get(source_kind)
        destination = ((connection.properties.get("DestinationConfig") or {}).get("OnFailure") or {})
        target = destination.get("Destination") if isinstance(destination, dict) else None
        if allowed is None or not isinstance(target, str) or target not in topology.components:
            continue
        kind = topology.components[target].kind
        if kind not in allowed:
            problems.append(Problem(f"{connection.pointer}/properties/DestinationConfig/OnFailure/Destination",
                                    f"{target} is a {kind}: the OnFailure destination of a {source_kind} stream must "
                                    f"be {' or '.join(allowed)}", connection.label))
    return problems
