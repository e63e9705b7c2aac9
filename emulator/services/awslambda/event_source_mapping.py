"""Lambda event source mappings: Lambda polling a queue and invoking the function with batches.

Rules (Lambda developer guide: "Using Lambda with Amazon SQS", "Scaling behavior for SQS event
source mappings", "Handling errors for an SQS event source", "Reporting batch item failures"):

- Pollers start with 5 concurrent batches and add up to 300 a minute while messages wait,
  up to 1,000 or ScalingConfig.MaximumConcurrency, and never more than the function's
  concurrency allows.
- A batch is up to BatchSize messages (default 10); with MaximumBatchingWindowInSeconds the
  poller gathers for up to that long before invoking unless the batch fills first.
- A successful invocation deletes the batch. A failed one deletes nothing: every message
  becomes visible again when its visibility timeout ends (and counts a receive). With
  ReportBatchItemFailures only the reported messages stay (on FIFO queues the handler stops at
  the first failure and reports the rest too, to keep order).
- A throttled invocation is retried with backoff (1 s, doubling) for as long as the batch's
  visibility timeout leaves time ("Creating and configuring an Amazon SQS event source mapping":
  that is why the visibility timeout should be six times the function's timeout); a batch
  invoked late may run past its visibility timeout and be received again meanwhile. A batch
  still throttled when the time is up returns to the queue, its receives counted (hence
  maxReceiveCount of 5 or more).
- FIFO queues: the queue never hands out a message of a group that has one in flight, so one
  batch per group is in flight at a time.
- FilterCriteria (see ``filtering.py``): a received message that matches no filter is deleted
  without invoking the function (completed, its trace showing a Lambda segment with outcome
  ``filtered_out``); a batch holds matching messages only.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Final

from emulator.problems import Problem
from emulator.services.awslambda.filtering import compile_filters, sqs_document
from emulator.services.base import Link
from emulator.tracing import epoch

if TYPE_CHECKING:
    from emulator.services.awslambda.function import Function
    from emulator.services.awslambda.invocation import Result
    from emulator.services.sqs import Delivery, Queue
    from emulator.topology import ComponentSpec, Topology

INITIAL_CONCURRENCY: Final = 5
SCALE_UP_PER_MINUTE: Final = 300
MAXIMUM_CONCURRENCY: Final = 1000
THROTTLE_BACKOFF_S: Final = 1.0


class Batch:
    """Messages received together and handed to the function, with its throttle retries."""

    __slots__ = ("deliveries", "visible_again_at", "throttle_retries")

    def __init__(self, deliveries: list[Delivery], visible_again_at: float) -> None:
        self.deliveries = deliveries
        self.visible_again_at = visible_again_at
        self.throttle_retries = 0


class SqsPoller:
    """The event source mapping of one SQS queue to one function."""

    def __init__(self, function: Function, link: Link) -> None:
        self.function = function
        self.kernel = function.kernel
        self.link = link
        self.queue: Queue = link.source  # type: ignore[assignment]
        properties = link.properties
        self.batch_size = int(properties.get("BatchSize") or 10)
        self.window_s = float(properties.get("MaximumBatchingWindowInSeconds") or 0)
        scaling = properties.get("ScalingConfig") or {}
        self.maximum_concurrency = int(scaling.get("MaximumConcurrency") or MAXIMUM_CONCURRENCY)
        self.report_failures = "ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or [])
        self.filters = compile_filters(properties.get("FilterCriteria"))
        self.polled = self.filtered_out = 0
        self.active = 0
        self.scaling_since: float | None = None
        self.paused_until = 0.0
        self._waiting = False
        self._gathering_until: float | None = None
        self._wake_time: float | None = None
        self.batches = 0
        self.max_active = 0

    def start(self) -> None:
        self.pump()

    def limit(self, now: float) -> int:
        """How many batches may be in flight now (the scaling ramp)."""
        if self.scaling_since is None:
            grown = INITIAL_CONCURRENCY
        else:
            grown = INITIAL_CONCURRENCY + int(SCALE_UP_PER_MINUTE * (now - self.scaling_since) / 60.0)
        return min(grown, self.maximum_concurrency, MAXIMUM_CONCURRENCY)

    def pump(self) -> None:
        """Start as many batches as the limits allow and messages fill; otherwise wait for more."""
        now = self.kernel.now
        if now < self.paused_until:
            self._wake_at(self.paused_until)
            return
        queue = self.queue
        while queue.visible_count > 0:
            if self.active >= self.limit(now):
                # Saturated with messages waiting: the mapping scales up, one batch per 0.2 s.
                if self.scaling_since is None:
                    self.scaling_since = now
                self._wake_at(now + 60.0 / SCALE_UP_PER_MINUTE)
                return
            if self.window_s > 0 and queue.visible_count < self.batch_size:
                if self._gathering_until is None:
                    self._gathering_until = now + self.window_s
                if now < self._gathering_until:
                    # Gathering: look again at the window's end, and a few times before it in
                    # case the batch fills early (waiting on the queue would fire at once).
                    self._wake_at(min(self._gathering_until, now + max(self.window_s / 10.0, 0.1)))
                    return
            self._gathering_until = None
            deliveries = queue.receive(self.batch_size)
            if not deliveries:
                break
            guard = self.function.loop_guard
            if guard is not None:
                # Messages of a recursive loop stay in the queue unprocessed (its redrive applies).
                deliveries = guard.admit(deliveries)
                if not deliveries:
                    continue
            if self.filters is not None:
                deliveries = self._filter(deliveries)
                if not deliveries:
                    continue
            self.active += 1
            self.batches += 1
            self.max_active = max(self.max_active, self.active)
            self._invoke(Batch(deliveries, now + queue.visibility_timeout))
        if queue.visible_count == 0 and self.active == 0:
            self.scaling_since = None
        self._wait()

    def _filter(self, deliveries: list[Delivery]) -> list[Delivery]:
        """The deliveries some filter matches; the others are deleted, their traces saying why."""
        matches = self.filters
        assert matches is not None
        self.polled += len(deliveries)
        kept = []
        function = self.function
        now = self.kernel.now
        for delivery in deliveries:
            if matches(sqs_document(delivery)):
                kept.append(delivery)
                continue
            self.filtered_out += 1
            segment = function.new_segment(delivery.message, delivery.segment_id, now)
            segment.origin = "AWS::Lambda"
            segment.annotations["receive_count"] = delivery.receive_count
            segment.annotations["outcome"] = "filtered_out"
            segment.end_time = epoch(now)
            function.emit(segment)
            self.queue.delete(delivery)
        return kept

    def _wait(self) -> None:
        if not self._waiting:
            self._waiting = True
            self.queue.wait_for_messages(self._woken)

    def _woken(self) -> None:
        self._waiting = False
        self.pump()

    def _wake_at(self, time: float) -> None:
        if self._wake_time is None or time < self._wake_time:
            self._wake_time = time
            self.kernel.schedule_at(time, self._wake, time)

    def _wake(self, time: float) -> None:
        if time != self._wake_time:
            return  # superseded by an earlier wake
        self._wake_time = None
        self.pump()

    def _invoke(self, batch: Batch) -> None:
        from emulator.services.awslambda.invocation import Record

        records = [Record(d.message, d.segment_id, {"receive_count": d.receive_count}, asynchronous=True,
                          delivery=d.delivery)
                   for d in batch.deliveries]
        self.function.invoke(records, partial(self._invoked, batch),
                             report_failures=self.report_failures, stop_on_failure=self.queue.is_fifo)

    def _invoked(self, batch: Batch, result: Result) -> None:
        now = self.kernel.now
        if result.throttled:
            backoff = THROTTLE_BACKOFF_S * 2.0 ** batch.throttle_retries
            if now + backoff < batch.visible_again_at:
                batch.throttle_retries += 1
                self.kernel.schedule(backoff, self._invoke, batch)
                return
            # Out of time: the batch returns to the queue; poll again after a pause.
            self.paused_until = now + THROTTLE_BACKOFF_S
        elif result.reply.ok:
            failed = set(result.batch_item_failures or ())
            delete = self.queue.delete
            for index, delivery in enumerate(batch.deliveries):
                if index not in failed:
                    delete(delivery)
        self.active -= 1
        self.pump()

    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {"Batches": self.batches, "MaxConcurrentBatches": self.max_active}
        if self.filters is not None:
            metrics["PolledEventCount"] = self.polled
            metrics["FilteredOutEventCount"] = self.filtered_out
        return metrics


def check_mappings(function: ComponentSpec, topology: Topology) -> list[Problem]:
    """What Lambda refuses when an SQS event source mapping is created ("Creating and configuring
    an Amazon SQS event source mapping"; CreateEventSourceMapping API reference)."""
    problems: list[Problem] = []
    timeout = function.properties["Timeout"]
    for connection in topology.incoming(function.id, "event_source"):
        queue = topology.components[connection.source]
        if queue.kind != "sqs":
            continue
        where = connection.pointer
        visibility_timeout = queue.properties["VisibilityTimeout"]
        if timeout > visibility_timeout:
            problems.append(Problem(
                f"{queue.pointer}/properties/VisibilityTimeout",
                f"the queue's VisibilityTimeout ({visibility_timeout} s) is shorter than the Timeout of "
                f"{function.id} ({timeout} s): Lambda refuses such an event source mapping; make it at least "
                f"{timeout} s (AWS advises {6 * timeout} s, six times the function's timeout)", connection.label))
        batch_size = connection.properties.get("BatchSize") or 10
        fifo = bool(queue.properties.get("FifoQueue"))
        if fifo and batch_size > 10:
            problems.append(Problem(f"{where}/properties/BatchSize", f"a FIFO queue's batches hold at most 10 "
                                    f"messages, got {batch_size}", connection.label))
        elif batch_size > 10 and not connection.properties.get("MaximumBatchingWindowInSeconds"):
            problems.append(Problem(f"{where}/properties/MaximumBatchingWindowInSeconds",
                                    f"a BatchSize above 10 ({batch_size}) needs MaximumBatchingWindowInSeconds of "
                                    "at least 1", connection.label))
    return problems
