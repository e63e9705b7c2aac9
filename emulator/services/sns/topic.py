"""An SNS topic at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.distributions import Duration
from emulator.matching import (
    MESSAGE_BODY,
    PolicyMatcher,
    compile_filter_policy,
)
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST, Message
from emulator.pricing import SNS_HTTP_PER_DELIVERY, SNS_PER_PUBLISH
from emulator.services.base import (
    Call,
    Component,
    Link,
    Reply,
    call_subsegment,
    mark,
    service_unavailable,
    throttled,
)
from emulator.tracing import EPOCH, Segment, Subsegment, epoch

if TYPE_CHECKING:
    pass

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:{}"
PUBLISH_CHUNK_BYTES = 64 * 1024
DEDUPLICATION_WINDOW_S = 300.0
# Protocols that honour RawMessageDelivery (Lambda always gets the envelope).
RAW_PROTOCOLS = frozenset({"sqs", "http", "firehose"})


class RetryPolicy:
    """A delivery policy: the wait before each retry, and how many retries there are."""

    __slots__ = ("leading_delays", "trailing_delay", "retries")

    def __init__(self, leading_delays: tuple[float, ...], trailing_delay: float, retries: int) -> None:
        self.leading_delays = leading_delays
        self.trailing_delay = trailing_delay
        self.retries = retries

    def delay(self, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry`` (1, 2, ...), or None once the policy is exhausted."""
        if retry > self.retries:
            return None
        if retry <= len(self.leading_delays):
            return self.leading_delays[retry - 1]
        return self.trailing_delay


def _exponential(low: float, high: float, count: int) -> tuple[float, ...]:
    """``count`` delays growing exponentially from ``low`` to ``high`` (SNS's "exponential" backoff)."""
    return tuple(low * (high / low) ** (index / (count - 1)) for index in range(count))


# AWS managed endpoints: 3 immediate, 2 pre-backoff, 10 backoff, then 100,000 post-backoff retries.
MANAGED_RETRIES = RetryPolicy((0.0, 0.0, 0.0, 1.0, 1.0, *_exponential(1.0, 20.0, 10)), 20.0, 100_015)
# HTTP/S default healthyRetryPolicy: numRetries 3, minDelayTarget = maxDelayTarget = 20, linear.
HTTP_RETRIES = RetryPolicy((), 20.0, 3)


def wire_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Message attributes in SNS's wire form: {"name": {"Type": ..., "Value": ...}}."""
    return {name: _wire_attribute(value) for name, value in attributes.items() if value is not None}


def _wire_attribute(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"Type": "String", "Value": value}
    if isinstance(value, bool):  # before int: a bool is an int to Python, not a Number to SNS
        return {"Type": "String", "Value": "true" if value else "false"}
    if isinstance(value, (int, float)):
        return {"Type": "Number", "Value": str(value)}
    if isinstance(value, list):
        return {"Type": "String.Array", "Value": json.dumps(value, separators=(",", ":"))}
    return {"Type": "String", "Value": json.dumps(value, separators=(",", ":"))}


def sns_timestamp(virtual_seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as SNS writes Timestamp (2026-01-01T00:00:00.000Z)."""
    moment = datetime.fromtimestamp(EPOCH + virtual_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Subscription:
    """A subscription link as the topic uses it: its compiled filter, delivery form and dead-letter queue."""

    __slots__ = ("index", "link", "matcher", "body_scope", "raw", "dead_letter_target_id")

    def __init__(self, index: int, link: Link) -> None:
        properties = link.properties
        policy = properties.get("FilterPolicy")
        scope = properties.get("FilterPolicyScope") or "MessageAttributes"
        self.index = index
        self.link = link
        self.matcher: PolicyMatcher | None = compile_filter_policy(policy, scope) if policy else None
        self.body_scope = scope == MESSAGE_BODY
        self.raw = bool(properties.get("RawMessageDelivery"))
        redrive = properties.get("RedrivePolicy")
        target = redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None
        self.dead_letter_target_id: str | None = target if isinstance(target, str) else None

    def wants(self, message: Message, attributes: dict[str, dict[str, str]] | None) -> bool:
        """Does the filter policy (if any) let this message through?"""
        if self.matcher is None:
            return True
        if self.body_scope:
            payload = message.payload
            return self.matcher(body=payload if isinstance(payload, (dict, str)) else message.body.decode())
        return self.matcher(message_attributes=attributes)

    def delivers_raw(self) -> bool:
        # Read the target each time: the protocol is the subscriber's kind, whatever it was wired to.
        return self.raw and self.link.target.kind.name in RAW_PROTOCOLS


class Hop:
    """A segment of the topic that stays open until the calls made in it have been answered."""

    __slots__ = ("segment", "waiting")

    def __init__(self, segment: Segment, waiting: int) -> None:
        self.segment = segment
        self.waiting = waiting


class Delivery:
    """One subscription's copy of one message, from its first attempt to its end."""

    __slots__ = ("subscription", "message", "attempt", "hop", "first_subsegment_id", "retrying")

    def __init__(self, subscription: Subscription, message: Message, hop: Hop) -> None:
        self.subscription = subscription
        self.message = message
        self.attempt = 1
        self.hop = hop
        self.first_subsegment_id: str | None = None
        self.retrying = False


class Topic(Component):
    def connect(self) -> None:
        self.topic_arn = TOPIC_ARN.format(self.id)
        self.fifo = bool(self.properties.get("FifoTopic"))
        self.content_based_deduplication = bool(self.properties.get("ContentBasedDeduplication"))
        self.publish_latency = Duration.from_spec(self.behavior["publish_ms"])
        self.delivery_latency = Duration.from_spec(self.behavior["delivery_ms"])
        self.subscriptions = [Subscription(index, link) for index, link in enumerate(self.links("subscription"))]
        self.published = self.published_bytes = self.publish_chunks = 0
        self.delivered = self.failed = self.filtered_out = 0
        self.redriven_to_dlq = self.failed_to_redrive = 0
        self.http_deliveries = 0
        self.retrying = 0
        # FIFO: deduplication id -> (when it expires, the MessageId it was first published as).
        self._deduplication: dict[str, tuple[float, str]] = {}
        self._deduplication_expiries: deque[tuple[float, str]] = deque()
        # FIFO: (subscription index, group) -> when its last message is delivered, to keep group order.
        self._group_delivered_at: dict[tuple[int, str], float] = {}

    def operation(self, link: Link | None) -> str:
        return "Publish"

    # Publish ---------------------------------------------------------------------------
    def request(self, call_: Call) -> None:
        now = self.kernel.now
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = {"operation": "Publish", "topic_arn": self.topic_arn}
        segment.annotations["attempt"] = 1
        latency = self.publish_latency.sample(self.rng) / 1000.0
        if self.faults:
            latency += self.faults.extra_ms(now) / 1000.0
        hop = Hop(segment, 1)
        self.open_segments[segment.id] = segment
        refusal = self._refusal(message, now)
        if refusal is not None:
            self.kernel.schedule(latency, self._answer, call_, hop, refusal)
            return
        self._count_publish(message)
        deduplication_id = None
        if self.fifo:
            deduplication_id = message.deduplication_id or hashlib.sha256(message.body).hexdigest()
            first_id = self._duplicate_of(deduplication_id, message.message_id, now)
            if first_id is not None:
                # A duplicate within the deduplication window: accepted, answered with the first id, not delivered.
                self.kernel.schedule(latency, self._answer, call_, hop, Reply(200, payload={"MessageId": first_id}))
                return
        self._fan_out(message, hop, now, latency, deduplication_id)
        self.kernel.schedule(latency, self._answer, call_, hop, Reply(200, payload={"MessageId": message.message_id}))

    def _refusal(self, message: Message, now: float) -> Reply | None:
        """Why Publish fails (an injected fault, a FIFO parameter missing), or None when it succeeds."""
        faults = self.faults
        if faults:
            if faults.unavailable(now):
                return service_unavailable(self.id)
            if faults.throttled(now):
                return throttled(self.id, "ThrottledException")
            if self.rng.random() < faults.error_rate(now, 0.0):
                return Reply(500, "InternalErrorException", "Internal error (injected fault)")
        if self.fifo and message.group_id is None:
            return Reply(400, "InvalidParameterException",
                         "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        if self.fifo and message.deduplication_id is None and not self.content_based_deduplication:
            return Reply(400, "InvalidParameterException", "Invalid parameter: The topic should either have "
                         "ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
        return None

    def _count_publish(self, message: Message) -> None:
        size = message.size_bytes
        self.published += 1
        self.published_bytes += size
        self.publish_chunks += max(1, math.ceil(size / PUBLISH_CHUNK_BYTES))

    def _duplicate_of(self, deduplication_id: str, message_id: str, now: float) -> str | None:
        """The MessageId of an earlier FIFO publish with this deduplication id, or None (and remember this one)."""
        window = self._deduplication
        expiries = self._deduplication_expiries
        while expiries and expiries[0][0] <= now:
            expired_at, expired_id = expiries.popleft()
            if window[expired_id][0] == expired_at:
                del window[expired_id]
        seen = window.get(deduplication_id)
        if seen is not None:
            return seen[1]
        expires_at = now + DEDUPLICATION_WINDOW_S
        window[deduplication_id] = (expires_at, message_id)
        expiries.append((expires_at, deduplication_id))
        return None

    def _answer(self, call_: Call, hop: Hop, reply: Reply) -> None:
        segment = hop.segment
        segment.http = {"response": {"status": reply.status}}
        segment.annotations["outcome"] = _outcome(reply)
        mark(segment, reply, self.sim.ids.segment_id())
        call_.reply(reply)
        self._hop_done(hop)

    # Fan-out ---------------------------------------------------------------------------
    def _fan_out(self, message: Message, hop: Hop, now: float, accepted_after: float,
                 deduplication_id: str | None) -> None:
        """Give each matching subscription its own copy, delivered ``delivery_ms`` after the publish."""
        attributes = wire_attributes(message.attributes) if message.attributes else None
        envelope: dict[str, Any] | None = None
        filtered_out = 0
        for subscription in self.subscriptions:
            if not subscription.wants(message, attributes):
                filtered_out += 1
                continue
            if subscription.delivers_raw():
                copy = message.copy()
            else:
                if envelope is None:
                    envelope = self._envelope(message, attributes, now)
                copy = message.copy(payload=self._lambda_event(subscription, envelope)
                                    if subscription.link.target.kind.name == "lambda" else envelope)
            if deduplication_id is not None:
                copy.deduplication_id = deduplication_id  # SNS hands its deduplication id on to the FIFO queue
            if copy.tracked:
                self.sim.ledger.hold(copy.record)
            hop.waiting += 1
            # SNS stores the message durably before it fans out, so no delivery precedes the answer.
            delay = max(accepted_after, self.delivery_latency.sample(self.rng) / 1000.0)
            if self.fifo and message.group_id is not None:
                delay = self._in_group_order(subscription, message.group_id, now + delay) - now
            self.kernel.schedule(delay, self._deliver, Delivery(subscription, copy, hop))
        self.filtered_out += filtered_out
        hop.segment.metadata = {"sns": {"subscriptions": len(self.subscriptions), "filtered_out": filtered_out}}

    def _envelope(self, message: Message, attributes: dict[str, dict[str, str]] | None,
                  now: float) -> dict[str, Any]:
        """The SNS JSON envelope a subscriber without raw delivery receives (shared by every copy)."""
        envelope: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message.message_id,
            "TopicArn": self.topic_arn,
            "Message": message.body.decode(),
            "Timestamp": sns_timestamp(now),
        }
        if attributes:
            envelope["MessageAttributes"] = attributes
        return envelope

    def _lambda_event(self, subscription: Subscription, envelope: dict[str, Any]) -> dict[str, Any]:
        """What a Lambda subscriber is invoked with: the envelope inside an ``aws:sns`` record
        (Lambda developer guide, "Invoking Lambda functions with Amazon SNS notifications")."""
        return {"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{self.topic_arn}:{subscription.link.target.id}",
            "Sns": envelope,
        }]}

    def _in_group_order(self, subscription: Subscription, group_id: str, due: float) -> float:
        """Not before the group's previous message reaches this subscription (ties run in publish order)."""
        key = (subscription.index, group_id)
        due = max(due, self._group_delivered_at.get(key, 0.0))
        self._group_delivered_at[key] = due
        return due

    # Delivery --------------------------------------------------------------------------
    def _deliver(self, delivery: Delivery) -> None:
        link = delivery.subscription.link
        target = link.target
        subsegment, operation = call_subsegment(self, delivery.hop.segment, link)
        if delivery.first_subsegment_id is None:
            delivery.first_subsegment_id = subsegment.id

        def answered(reply: Reply) -> None:
            self._attempted(delivery, subsegment, reply)

        target.request(Call(delivery.message, subsegment.id, link, answered, operation))

    def _attempted(self, delivery: Delivery, subsegment: Subsegment, reply: Reply) -> None:
        subsegment.end_time = epoch(self.kernel.now)
        mark(subsegment, reply, self.sim.ids.segment_id(), remote=True)
        hop = delivery.hop
        if delivery.attempt > 1:
            hop.segment.annotations["outcome"] = _outcome(reply)
        if reply.status < 400:
            self._delivered(delivery)
        else:
            self._delivery_failed(delivery, reply)
        self._hop_done(hop)

    def _delivered(self, delivery: Delivery) -> None:
        self.delivered += 1
        if delivery.subscription.link.target.kind.name == "http":
            self.http_deliveries += 1
        # The subscriber took a token of its own for what it keeps, inside request(), before answering.
        self._end(delivery, COMPLETED)

    def _delivery_failed(self, delivery: Delivery, reply: Reply) -> None:
        http = delivery.subscription.link.target.kind.name == "http"
        if http:
            self.failed += 1  # CloudWatch counts every failed HTTP/S attempt
        client_error = reply.status < 500 and not reply.throttled
        delay = None if client_error else (HTTP_RETRIES if http else MANAGED_RETRIES).delay(delivery.attempt)
        if delay is None:
            if not http:
                self.failed += 1
            self._give_up(delivery)
            return
        if not delivery.retrying:
            delivery.retrying = True
            self.retrying += 1
        self.kernel.schedule(delay, self._retry, delivery)

    def _retry(self, delivery: Delivery) -> None:
        """Each retry is a segment of its own, under the first attempt's subsegment."""
        delivery.attempt += 1
        segment = self.new_segment(delivery.message, delivery.first_subsegment_id, self.kernel.now)
        segment.aws = {"topic_arn": self.topic_arn}
        segment.annotations["attempt"] = delivery.attempt
        hop = Hop(segment, 1)
        self.open_segments[segment.id] = segment
        delivery.hop = hop
        self._deliver(delivery)

    # Giving up -------------------------------------------------------------------------
    def _give_up(self, delivery: Delivery) -> None:
        """Delivery failed for good: the copy goes to the subscription's dead-letter queue, or is lost."""
        target_id = delivery.subscription.dead_letter_target_id
        queue = self.sim.components.get(target_id) if target_id is not None else None
        if queue is None:
            self._end(delivery, LOST)
            return
        hop = delivery.hop
        hop.waiting += 1
        operation = queue.operation(None)
        subsegment = hop.segment.add(Subsegment(
            id=self.sim.ids.segment_id(),
            name=queue.id,
            start_time=epoch(self.kernel.now),
            namespace="aws",
            aws={"operation": operation},
            annotations={"dead_letter": True},
        ))

        def answered(reply: Reply) -> None:
            self._redriven(delivery, subsegment, reply)

        # The dead letter is untracked: the message's outcome is settled here, the queue holds no token for it.
        queue.request(Call(delivery.message.copy(tracked=False), subsegment.id, None, answered, operation))

    def _redriven(self, delivery: Delivery, subsegment: Subsegment, reply: Reply) -> None:
        subsegment.end_time = epoch(self.kernel.now)
        mark(subsegment, reply, self.sim.ids.segment_id(), remote=True)
        if reply.ok:
            self.redriven_to_dlq += 1
            self._end(delivery, DEAD_LETTERED)
        else:
            self.failed_to_redrive += 1
            self._end(delivery, LOST)
        self._hop_done(delivery.hop)

    def _end(self, delivery: Delivery, outcome: int) -> None:
        """The copy's journey is over: give its token back with how it ended."""
        if delivery.retrying:
            self.retrying -= 1
        if delivery.attempt > 1 and outcome != COMPLETED:
            delivery.hop.segment.annotations["outcome"] = "dead_lettered" if outcome == DEAD_LETTERED else "lost"
        message = delivery.message
        if message.tracked:
            self.sim.ledger.release(message.record, outcome, self.kernel.now)

    def _hop_done(self, hop: Hop) -> None:
        hop.waiting -= 1
        if hop.waiting == 0:
            hop.segment.end_time = epoch(self.kernel.now)
            self.open_segments.pop(hop.segment.id, None)
            self.emit(hop.segment)

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "NumberOfMessagesPublished": self.published,
            "NumberOfNotificationsDelivered": self.delivered,
            "NumberOfNotificationsFailed": self.failed,
            "NumberOfNotificationsFilteredOut": self.filtered_out,
            "NumberOfNotificationsRedrivenToDlq": self.redriven_to_dlq,
            "NumberOfNotificationsFailedToRedriveToDlq": self.failed_to_redrive,
            "PublishSize": round(self.published_bytes / self.published, 1) if self.published else 0.0,
        }

    def gauges(self) -> dict[str, float]:
        return {"deliveries_retrying": self.retrying}

    def activity(self) -> tuple[int, int, int]:
        return (self.published, self.failed, 0)

    def cost_usd(self) -> float:
        return self.publish_chunks * SNS_PER_PUBLISH + self.http_deliveries * SNS_HTTP_PER_DELIVERY


def _outcome(reply: Reply) -> str:
    if reply.ok:
        return "ok"
    if reply.throttled:
        return "throttled"
    return "error" if reply.status < 500 else "fault"
