"""A Lambda function at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.kernel import Deadlines
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST, Message
from emulator.pricing import LAMBDA_PER_GB_SECOND, LAMBDA_PER_REQUEST, LAMBDA_PROVISIONED_PER_GB_SECOND
from emulator.services.awslambda.invocation import (
    ASYNC_STATE_NAMES,
    GIVEN_BACK,
    QUEUED,
    RUNNING,
    SENDING_TO_DESTINATION,
    WAITING_FOR_RETRY,
    Account,
    AsyncEvent,
    Done,
    Environment,
    Invocation,
    Record,
    Result,
)
from emulator.services.awslambda.recursion import LoopGuard, on_a_cycle
from emulator.services.awslambda.stream_mapping import stream_metrics
from emulator.services.base import (
    ACCEPTED,
    OK,
    Call,
    Component,
    Link,
    Reply,
    call,
    mark,
    message_metadata,
)
from emulator.tracing import ASYNC_LINK, EPOCH, Subsegment, epoch

if TYPE_CHECKING:
    pass

SCALING_ENVIRONMENTS: Final = 1000
SCALING_WINDOW_S: Final = 10.0
ASYNC_RETRY_DELAYS_S = (60.0, 120.0)
ASYNC_THROTTLE_BACKOFF_S = (1.0, 300.0)
INIT_LIMIT_S: Final = 10.0
_ASYNC_ROLES: Final = frozenset({"event", "subscription", "on_success", "on_failure", "rule", "notification"})


THROTTLED: Final = Reply(429, "TooManyRequestsException", "Rate Exceeded.")


class Function(Component):
    def connect(self) -> None:
        properties, behavior = self.properties, self.behavior
        self.timeout_s = float(properties["Timeout"])
        self.memory_gb = properties["MemorySize"] / 1024.0
        self.architecture = (properties.get("Architectures") or ["x86_64"])[0]
        reserved = properties.get("ReservedConcurrentExecutions")
        self.reserved: int | None = None if reserved is None else int(reserved)
        self.provisioned = int(properties.get("ProvisionedConcurrency") or 0)
        self.maximum_retry_attempts = int(properties["MaximumRetryAttempts"])
        self.maximum_event_age_s = float(properties["MaximumEventAgeInSeconds"])
        self.timeouts = Deadlines(self.kernel, self.timeout_s, self._timed_out)
        # Bound once: a method object made and freed for each invocation's events costs more than it looks.
        self._begin_callback: Callable[[Invocation], None] = self._begin
        self._after_work_callback: Callable[[Invocation, Record], None] = self._after_work
        self.duration = Duration.from_spec(behavior["duration_ms"])
        self.cold_start = Duration.from_spec(behavior["cold_start_ms"])
        self.error_rate = float(behavior["error_rate"])
        self.idle_timeout_s = float(behavior["idle_timeout_s"])
        self.account: Account = self.sim.shared_state("lambda.account", lambda: Account(sum(
            int(c.properties.get("ReservedConcurrentExecutions") or 0) for c in self.sim.components.values()
            if c.kind.name == "lambda")))
        self.calls = self.links("request", "event")
        # Whether any call has a ``when`` to match against each record (if not, every record makes them all).
        self._calls_are_conditional = any(link.conditional for link in self.calls)
        # Shared by every invocation segment of this function (never changed once built).
        self._aws = {"function_name": self.id, "resource_names": [self.id]}
        self.on_success = self.links("on_success")
        self.on_failure = self.links("on_failure")
        self.dead_letter = self.links("dead_letter")
        self.loop_guard = (LoopGuard(self) if properties["RecursiveLoop"] == "Terminate" and on_a_cycle(self)
                           else None)
        self.idle: list[Environment] = [Environment(0.0, True, self.idle_timeout_s)
                                        for _ in range(self.provisioned)]
        self.created: deque[float] = deque()
        self.busy = 0
        self.pollers = [SqsPoller(self, link) for link in self.incoming
                        if link.role == "event_source" and link.source.kind.name == "sqs"]
        # Metrics
        self.invocations = self.errors = self.throttles = self.cold_starts = 0
        self.max_concurrency = 0
        self.durations = Latencies()
        self.billed_ms = 0.0
        self.async_received = self.async_dropped = 0
        self.async_max_age_ms = 0.0
        self.dead_letter_errors = self.destination_failures = 0
        self.async_in_queue = 0
        # Tracked async events by state (QUEUED, RUNNING, WAITING_FOR_RETRY, SENDING_TO_DESTINATION).
        self._async_held = [0, 0, 0, 0]

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()

    def operation(self, link: Link | None) -> str:
        return "Invoke"

    # Serving ---------------------------------------------------------------------------
    def request(self, call_: Call) -> None:
        if call_.link is not None and call_.link.role in _ASYNC_ROLES:
            self._accept_event(call_)
            return
        record = Record(call_.message, call_.parent_id, {"attempt": 1}, show_payload=True, delivery=call_.delivery)

        def answered(result: Result) -> None:
            call_.reply(result.reply)

        self.invoke([record], answered)

    def invoke(self, records: list[Record], done: Done, *, report_failures: bool = False,
               stop_on_failure: bool = False) -> None:
        """Run the handler on ``records`` if there is concurrency for it; ``done`` gets the result.

        With ``report_failures`` the handler reports failed records instead of failing (partial
        batch responses); with ``stop_on_failure`` too (FIFO sources), it stops at the first
        failure and reports that record and every one after it, so that order is kept.
        """
        now = self.kernel.now
        if self.faults and self.faults.unavailable(now):
            self.kernel.schedule(0.001, done, Result(Reply(500, "ServiceException", "Lambda was unable to "
                                                           "handle the request (injected fault)"), records))
            return
        environment, cold = self._acquire(now)
        if environment is None:
            self.throttles += 1
            self.kernel.schedule(0.001, done, Result(THROTTLED, records))
            return
        invocation = Invocation(self, records, done, report_failures, stop_on_failure)
        invocation.environment = environment
        invocation.cold = cold
        if cold:
            self.cold_starts += 1
            invocation.init_s = min(self.cold_start.sample(self.rng) / 1000.0, INIT_LIMIT_S)
        invocation.invoke_started = now + invocation.init_s
        batch_size = len(records)
        for record in records:
            segment = self.new_segment(record.message, record.parent_id, now)
            annotations = segment.annotations
            annotations.update(record.annotations)
            annotations["cold_start"] = cold
            if batch_size > 1:
                annotations["batch_size"] = batch_size
            segment.aws = self._aws
            if record.show_payload and segment.metadata is None:
                segment.metadata = {"message": message_metadata(record.message)}
            if record.asynchronous and record.parent_id is not None:
                # tracing.async_link written out (compiled here, Python there).
                segment.links = [{"trace_id": segment.trace_id, "id": record.parent_id, "attributes": ASYNC_LINK}]
            if cold:
                segment.add(Subsegment(id=self.sim.ids.segment_id(), name="Initialization", start_time=epoch(now),
                                       end_time=epoch(invocation.invoke_started)))
            record.segment = segment
            self.open_segments[segment.id] = segment
        self.kernel.schedule(invocation.init_s, self._begin_callback, invocation)

    def _acquire(self, now: float) -> tuple[Environment | None, bool]:
        """A warm environment, a new one (cold), or None when the invocation is throttled."""
        reserved = self.reserved
        if reserved is not None:
            if self.busy >= reserved:
                return None, False
        elif self.account.unreserved_in_use >= self.account.unreserved_limit:
            return None, False
        idle = self.idle
        environment: Environment | None = None
        while idle:
            candidate = idle.pop()
            if candidate.alive(now):
                environment = candidate
                break
        cold = environment is None
        if environment is None:
            created = self.created
            while created and created[0] <= now - SCALING_WINDOW_S:
                created.popleft()
            if len(created) >= SCALING_ENVIRONMENTS:
                return None, False
            created.append(now)
            environment = Environment(now, False, self.idle_timeout_s)
        environment.busy = True
        self.busy += 1
        if reserved is None:
            self.account.unreserved_in_use += 1
        if self.busy > self.max_concurrency:
            self.max_concurrency = self.busy
        return environment, cold

    def _begin(self, invocation: Invocation) -> None:
        self.invocations += 1
        invocation.timer = self.timeouts.start(invocation)
        self._next_record(invocation)

    def _next_record(self, invocation: Invocation) -> None:
        if invocation.finished:
            return
        if invocation.index >= len(invocation.records):
            self._complete(invocation, None)
            return
        record = invocation.records[invocation.index]
        work_ms = self.duration.sample(self.rng)
        if self.faults:
            work_ms += self.faults.extra_ms(self.kernel.now)
        if self._calls_are_conditional:
            invocation.calls = [link for link in self.calls if link.wants(record.message.payload)]
        else:
            invocation.calls = self.calls  # only read, never changed
        self.kernel.schedule(work_ms / 1000.0, self._after_work_callback, invocation, record)

    def _after_work(self, invocation: Invocation, record: Record) -> None:
        if invocation.finished:
            return
        message = record.message
        rate = self.faults.error_rate(self.kernel.now, self.error_rate) if self.faults else self.error_rate
        if message.poison:
            self._record_failed(invocation, record, Reply(200, "PoisonMessage",
                                                          f"cannot process message {message.message_id}"))
        elif rate > 0 and self.rng.random() < rate:
            self._record_failed(invocation, record, Reply(200, "Error", "function error (error_rate)"))
        else:
            self._call(invocation, record, 0)

    def _call(self, invocation: Invocation, record: Record, index: int) -> None:
        if invocation.finished:
            return
        if index >= len(invocation.calls):
            self._record_done(invocation)
            return
        assert record.segment is not None
        invocation.call_index = index
        call(self, record.segment, invocation.calls[index], record.message, invocation.answered,
             holder=invocation.environment)

    def _answered(self, invocation: Invocation, reply: Reply) -> None:
        if invocation.finished:
            return  # the invocation timed out while this call was out
        # The handler is still on the record it made the call for: the index moves on only after its calls.
        record = invocation.records[invocation.index]
        index = invocation.call_index
        if reply.ok or reply.status == 202:
            self._call(invocation, record, index + 1)
        else:
            self._record_failed(invocation, record, Reply(200, reply.error or "Error",
                                                          reply.message or f"call failed ({reply.status})"))

    def _record_failed(self, invocation: Invocation, record: Record, reply: Reply) -> None:
        record.failed = reply
        if not invocation.report_failures:
            self._complete(invocation, reply)
        elif invocation.stop_on_failure:
            invocation.failures.extend(range(invocation.index, len(invocation.records)))
            self._complete(invocation, None)
        else:
            invocation.failures.append(invocation.index)
            self._record_done(invocation)

    def _record_done(self, invocation: Invocation) -> None:
        invocation.index += 1
        self._next_record(invocation)

    def _timed_out(self, invocation: Invocation) -> None:
        if not invocation.finished:
            reply = Reply(200, "Sandbox.Timedout", f"Task timed out after {self.timeout_s:.2f} seconds")
            for record in invocation.records[invocation.index:]:
                record.failed = reply
            self._complete(invocation, reply)

    def _complete(self, invocation: Invocation, error: Reply | None) -> None:
        invocation.finished = True
        if invocation.timer is not None:
            invocation.timer.cancel()
        now = self.kernel.now
        duration_ms = (now - invocation.invoke_started) * 1000.0
        self.durations.add(duration_ms)
        self.billed_ms += math.ceil(duration_ms + invocation.init_s * 1000.0)
        self._release(invocation.environment, now)
        if error is not None:
            self.errors += 1
        reply = error or OK
        batch_failures = invocation.failures if invocation.report_failures and error is None else None
        end_time = EPOCH + now
        ledger = self.sim.ledger
        for index, record in enumerate(invocation.records):
            segment = record.segment
            assert segment is not None
            segment.end_time = end_time
            failed = record.failed
            if failed is not None:
                segment.annotations["outcome"] = "timeout" if failed.error == "Sandbox.Timedout" else "error"
                mark(segment, failed, self.sim.ids.segment_id())
            elif error is not None and index < invocation.index:
                # Handled, but a later record failed the invocation: the whole batch comes back.
                segment.annotations["outcome"] = "batch_failed"
                ledger.handled(record.message.record, self.id, record.delivery)
            elif error is not None or (batch_failures and index in batch_failures):
                # Never reached: the handler stopped on an earlier record of the batch.
                segment.annotations["outcome"] = "not_processed"
            else:
                segment.annotations["outcome"] = "ok"
                ledger.handled(record.message.record, self.id, record.delivery)
            del self.open_segments[segment.id]
            self.emit(segment)
        invocation.done(Result(reply, invocation.records, batch_failures))

    def _release(self, environment: Environment | None, now: float) -> None:
        self.busy -= 1
        if self.reserved is None:
            self.account.unreserved_in_use -= 1
        if environment is not None:
            environment.busy = False
            environment.last_used = now
            self.idle.append(environment)

    # Asynchronous invocation -----------------------------------------------------------
    def _accept_event(self, call_: Call) -> None:
        now = self.kernel.now
        if self.refused_by_outage(call_, now):
            return
        message = call_.message
        if message.tracked:
            self.sim.ledger.hold(message.record)
        self.async_received += 1
        self.async_in_queue += 1
        event = AsyncEvent(message, call_.parent_id, now, call_.delivery)
        self._event_state(event, QUEUED)
        self.kernel.schedule(0.001, call_.reply, ACCEPTED)
        self.kernel.schedule(0.001, self._attempt, event)

    def _attempt(self, event: AsyncEvent) -> None:
        now = self.kernel.now
        age_s = now - event.enqueued_at
        self.async_max_age_ms = max(self.async_max_age_ms, age_s * 1000.0)
        if age_s > self.maximum_event_age_s:
            self._async_failed(event, "EventAgeExceeded", None)
            return
        guard = self.loop_guard
        if guard is not None and event.attempts == 0 and event.throttle_retries == 0 and guard.stops(event.message):
            guard.report(event.message, event.parent_id)
            self._async_failed(event, "RecursiveInvocationException", None)
            return
        record = Record(event.message, event.parent_id, {"attempt": event.attempts + 1}, show_payload=True,
                        asynchronous=True, delivery=event.delivery)
        self._event_state(event, RUNNING)
        self.invoke([record], lambda result: self._attempted(event, result))

    def _attempted(self, event: AsyncEvent, result: Result) -> None:
        record = result.records[0]
        if result.throttled or result.system_error:
            # Throttles and system errors do not count as attempts; back off, up to 5 minutes.
            low, high = ASYNC_THROTTLE_BACKOFF_S
            delay = min(high, low * 2.0 ** event.throttle_retries)
            event.throttle_retries += 1
            self._attempt_later(event, self.rng.uniform(delay / 2, delay))
            return
        event.attempts += 1
        last_segment = record.segment.id if record.segment is not None else event.parent_id
        if result.reply.ok:
            self._async_succeeded(event, result, last_segment)
        elif event.attempts <= self.maximum_retry_attempts:
            self._attempt_later(event, ASYNC_RETRY_DELAYS_S[min(event.attempts, len(ASYNC_RETRY_DELAYS_S)) - 1])
        else:
            self._async_failed(event, "RetriesExhausted", result, last_segment)

    def _attempt_later(self, event: AsyncEvent, delay: float) -> None:
        """The next attempt ``delay`` from now, unless the event reaches MaximumEventAgeInSeconds first:
        then it is discarded at that age, not when the attempt would have found it too old."""
        self._event_state(event, WAITING_FOR_RETRY)
        expires_at = event.enqueued_at + self.maximum_event_age_s
        if self.kernel.now + delay > expires_at:
            self.kernel.schedule_at(expires_at, self._event_too_old, event)
        else:
            self.kernel.schedule(delay, self._attempt, event)

    def _event_too_old(self, event: AsyncEvent) -> None:
        self.async_max_age_ms = max(self.async_max_age_ms, self.maximum_event_age_s * 1000.0)
        self._async_failed(event, "EventAgeExceeded", None)

    def _async_succeeded(self, event: AsyncEvent, result: Result, parent_id: str | None) -> None:
        self.async_in_queue -= 1
        message = event.message
        if self.on_success:
            payload = self._destination_record(event, "Success", result)
            # A destination record is a record about the invocation: the message is settled as
            # completed, and what the destination does with the record is not its continuation.
            self._deliver(self.on_success[0], message.copy(payload=payload, tracked=False), event, parent_id,
                          "on_success", COMPLETED)
        else:
            self._give_back(event, COMPLETED)

    def _async_failed(self, event: AsyncEvent, condition: str, result: Result | None,
                      parent_id: str | None = None) -> None:
        self.async_in_queue -= 1
        self.async_dropped += 1
        message = event.message
        parent_id = parent_id or event.parent_id
        # A failure record or dead letter settles the message as dead-lettered: the copy is untracked.
        if self.on_failure:
            payload = self._destination_record(event, condition, result)
            self._deliver(self.on_failure[0], message.copy(payload=payload, tracked=False), event, parent_id,
                          "on_failure", DEAD_LETTERED)
        elif self.dead_letter:
            self._deliver(self.dead_letter[0], message.copy(tracked=False), event, parent_id, "dead_letter",
                          DEAD_LETTERED)
        else:
            self._give_back(event, LOST)

    def _event_state(self, event: AsyncEvent, state: int) -> None:
        """The event moves on (``GIVEN_BACK``: its token is given back); counted when it holds one."""
        if event.message.tracked:
            held = self._async_held
            if event.state != GIVEN_BACK:
                held[event.state] -= 1
            if state != GIVEN_BACK:
                held[state] += 1
        event.state = state

    def _give_back(self, event: AsyncEvent, outcome: int) -> None:
        self._event_state(event, GIVEN_BACK)
        message = event.message
        if message.tracked:
            self.sim.ledger.release(message.record, outcome, self.kernel.now)

    def _deliver(self, link: Link, copy: Message, event: AsyncEvent, parent_id: str | None, outcome: str,
                 settled: int) -> None:
        """Send a destination record or a dead letter; a segment of the Lambda service shows it."""
        self._event_state(event, SENDING_TO_DESTINATION)
        segment = self.new_segment(copy, parent_id, self.kernel.now)
        segment.origin = "AWS::Lambda"
        segment.annotations["attempt"] = event.attempts
        segment.annotations["outcome"] = outcome
        segment.metadata = {"lambda": {"destination": link.target.id, "record": copy.payload}}

        def answered(reply: Reply) -> None:
            segment.end_time = epoch(self.kernel.now)
            if reply.ok or reply.status == 202:
                self._give_back(event, settled)
            else:
                if outcome == "dead_letter":
                    self.dead_letter_errors += 1
                else:
                    self.destination_failures += 1
                segment.annotations["outcome"] = f"{outcome}_failed"
                self._give_back(event, LOST)
            self.emit(segment)

        call(self, segment, link, copy, answered)

    def _destination_record(self, event: AsyncEvent, condition: str, result: Result | None) -> dict[str, Any]:
        """The invocation record Lambda sends to a destination (AWS's documented shape)."""
        timestamp = datetime.fromtimestamp(EPOCH + self.kernel.now, tz=UTC)
        reply = result.reply if result is not None else None
        response: Any = None
        if reply is not None and reply.error:
            response = {"errorType": reply.error, "errorMessage": reply.message}
        return {
            "version": "1.0",
            "timestamp": timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": event.message.message_id,
                "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{self.id}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": max(event.attempts, 1),
            },
            "requestPayload": event.message.payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": "Unhandled"} if response else {})},
            "responsePayload": response,
        }

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:

        metrics: dict[str, Any] = {
            "Invocations": self.invocations,
            "Errors": self.errors,
            "Throttles": self.throttles,
            "ConcurrentExecutions": self.max_concurrency,
            "Duration": self.durations.percentiles(),
            "ColdStarts": self.cold_starts,
        }
        if self.async_received:
            metrics.update({
                "AsyncEventsReceived": self.async_received,
                "AsyncEventAge": round(self.async_max_age_ms, 1),
                "AsyncEventsDropped": self.async_dropped,
            })
        if self.dead_letter:
            metrics["DeadLetterErrors"] = self.dead_letter_errors
        if self.on_success or self.on_failure:
            metrics["DestinationDeliveryFailures"] = self.destination_failures
        metrics.update(stream_metrics(self))  # IteratorAge, kept by the function's stream mappings
        filtering = [poller for poller in self.pollers if poller.filters is not None]
        if filtering:
            # The event source mappings' EventCount metrics, summed over the function's mappings.
            metrics["PolledEventCount"] = metrics.get("PolledEventCount", 0) + sum(p.polled for p in filtering)
            metrics["FilteredOutEventCount"] = (metrics.get("FilteredOutEventCount", 0)
                                                + sum(p.filtered_out for p in filtering))
        if self.loop_guard is not None:
            metrics["RecursiveInvocationsDropped"] = self.loop_guard.dropped
        return metrics

    def in_flight(self) -> dict[str, int]:
        """Asynchronous events in Lambda's internal queue: waiting for their first attempt ("queued"),
        being handled ("running"), waiting for a retry or after a throttle ("waiting_for_retry"), or
        their record on its way to a destination or dead-letter queue ("sending_to_destination")."""
        states = dict(zip(ASYNC_STATE_NAMES, self._async_held, strict=True))
        return {state: count for state, count in states.items() if count}

    def gauges(self) -> dict[str, float]:
        return {"concurrency": self.busy, "async_queue": self.async_in_queue}

    def activity(self) -> tuple[int, int, int]:
        return (self.invocations, self.errors, self.throttles)

    def cost_usd(self) -> float:
        compute = self.billed_ms / 1000.0 * self.memory_gb * LAMBDA_PER_GB_SECOND[self.architecture]
        provisioned = (self.provisioned * self.memory_gb * self.kernel.now
                       * LAMBDA_PROVISIONED_PER_GB_SECOND[self.architecture])
        return float(self.invocations * LAMBDA_PER_REQUEST + compute + provisioned)


from emulator.services.awslambda.event_source_mapping import SqsPoller  # noqa: E402  (needs Function)
