"""An SNS topic at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.distributions import Duration
from emulator.matching import (
    MESSAGE_BODY,
    PolicyMatcher,
    compile_filter_policy,
)
from emulator.messages import Message
from emulator.pricing import SNS_HTTP_PER_DELIVERY, SNS_PER_PUBLISH
from emulator.services.base import Call, Link, Reply
from emulator.services.fanout import Delivery, FanOut, Hop
from emulator.tracing import EPOCH

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


class Notification(Delivery):
    """One subscription's copy of one message, from its first attempt to its end."""

    __slots__ = ("subscription",)

    def __init__(self, subscription: Subscription, message: Message, hop: Hop) -> None:
        super().__init__(subscription.link, message, hop)
        self.subscription = subscription


class Topic(FanOut):
    def connect(self) -> None:
        self.topic_arn = TOPIC_ARN.format(self.id)
        self.fifo = bool(self.properties.get("FifoTopic"))
        self.content_based_deduplication = bool(self.properties.get("ContentBasedDeduplication"))
        self.publish_latency = Duration.from_spec(self.behavior["publish_ms"])
        self.delivery_latency = Duration.from_spec(self.behavior["delivery_ms"])
        self.subscriptions = [Subscription(index, link) for index, link in enumerate(self.links("subscription"))]
        self.published = self.published_bytes = self.publish_chunks = 0
        self.delivered = self.failed = self.filtered_out = 0
        self.http_deliveries = 0
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
        hop = self._open(message, call_.parent_id, now, {"operation": "Publish", "topic_arn": self.topic_arn}, 1)
        latency = self._latency(self.publish_latency, now)
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
        refusal = self._injected_refusal(now, "ThrottledException", "InternalErrorException")
        if refusal is not None:
            return refusal
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
            self._send(Notification(subscription, copy, hop), accepted_after)
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

    def _due(self, delivery: Delivery, delay: float) -> float:
        group_id = delivery.message.group_id
        if not self.fifo or group_id is None:
            return delay
        assert isinstance(delivery, Notification)
        now = self.kernel.now
        return self._in_group_order(delivery.subscription, group_id, now + delay) - now

    def _in_group_order(self, subscription: Subscription, group_id: str, due: float) -> float:
        """Not before the group's previous message reaches this subscription (ties run in publish order)."""
        key = (subscription.index, group_id)
        due = max(due, self._group_delivered_at.get(key, 0.0))
        self._group_delivered_at[key] = due
        return due

    # Delivery --------------------------------------------------------------------------
    def _succeeded(self, reply: Reply) -> bool:
        # Any 2xx or 3xx: SNS does not look inside what the subscriber answered.
        return reply.status < 400

    def _delivered(self, delivery: Delivery) -> None:
        self.delivered += 1
        if delivery.link.target.kind.name == "http":
            self.http_deliveries += 1

    def _failed(self, delivery: Delivery, reply: Reply) -> None:
        http = delivery.link.target.kind.name == "http"
        if http:
            self.failed += 1  # CloudWatch counts every failed HTTP/S attempt
        client_error = reply.status < 500 and not reply.throttled
        delay = None if client_error else (HTTP_RETRIES if http else MANAGED_RETRIES).delay(delivery.attempt)
        if delay is None:
            if not http:
                self.failed += 1
            assert isinstance(delivery, Notification)
            self._dead_letter(delivery, delivery.subscription.dead_letter_target_id, {"dead_letter": True})
            return
        self._retry_after(delivery, delay)

    def _retry_aws(self) -> dict[str, Any]:
        return {"topic_arn": self.topic_arn}

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "NumberOfMessagesPublished": self.published,
            "NumberOfNotificationsDelivered": self.delivered,
            "NumberOfNotificationsFailed": self.failed,
            "NumberOfNotificationsFilteredOut": self.filtered_out,
            "NumberOfNotificationsRedrivenToDlq": self.dead_lettered,
            "NumberOfNotificationsFailedToRedriveToDlq": self.failed_to_dead_letter,
            "PublishSize": round(self.published_bytes / self.published, 1) if self.published else 0.0,
        }

    def activity(self) -> tuple[int, int, int]:
        return (self.published, self.failed, 0)

    def cost_usd(self) -> float:
        return self.publish_chunks * SNS_PER_PUBLISH + self.http_deliveries * SNS_HTTP_PER_DELIVERY

