"""An EventBridge event bus at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from emulator.distributions import Duration
from emulator.matching import EventMatcher, compile_event_pattern
from emulator.messages import COMPLETED, Message
from emulator.pricing import EVENTBRIDGE_ARCHIVE_PER_GB, EVENTBRIDGE_CHUNK_BYTES, EVENTBRIDGE_PER_EVENT
from emulator.services.base import Call, Link, Reply
from emulator.services.eventbridge.transformer import InputTransformer
from emulator.services.fanout import Delivery, FanOut, Hop
from emulator.tracing import EPOCH, Subsegment

ACCOUNT = "123456789012"
REGION = "us-east-1"
MAX_TARGETS_PER_RULE = 5
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185
DEFAULT_MAXIMUM_EVENT_AGE_S = 86_400
DEFAULT_SOURCE = "wiretap.workload"
DEFAULT_DETAIL_TYPE = "Message"
# What Lambda puts in the envelope of a destination record sent to a bus.
DESTINATION_DETAIL_TYPES = {"on_success": "Lambda Function Invocation Result - Success",
                            "on_failure": "Lambda Function Invocation Result - Failure"}
# The backoff between retries: exponential from 1 s, capped at 10 minutes, with half of it drawn at
# random. AWS documents only "exponential back off and jitter" over 185 attempts in 24 hours; this
# cap makes 185 attempts take about 22 hours, so both limits matter as they do on AWS.
RETRY_BASE_S = 1.0
RETRY_CAP_S = 600.0


def rule_name_of(link: Link) -> str:
    """The rule a connection is a target of: its RuleName, else a rule of its own named after the target."""
    name = link.properties.get("RuleName")
    return name if isinstance(name, str) and name else f"{link.target.id}Rule"


def retry_delay(retry: int, draw: float) -> float:
    """Seconds before retry number ``retry`` (1, 2, ...), for a uniform draw in [0, 1)."""
    ceiling = min(RETRY_CAP_S, RETRY_BASE_S * 2.0 ** min(retry - 1, 30))
    return ceiling / 2.0 + draw * ceiling / 2.0


class Target:
    """A rule's target: the connection, its input transformer, retry policy and dead-letter queue."""

    __slots__ = ("rule", "link", "transformer", "maximum_retry_attempts", "maximum_event_age_s",
                 "dead_letter_id", "arn", "message_group_id")

    def __init__(self, rule: Rule, link: Link) -> None:
        properties = link.properties
        self.rule = rule
        self.link = link
        transformer = properties.get("InputTransformer")
        self.transformer = InputTransformer(transformer) if transformer else None
        policy = properties.get("RetryPolicy") or {}
        self.maximum_retry_attempts = int(policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS))
        self.maximum_event_age_s = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_S))
        dead_letter = properties.get("DeadLetterConfig")
        self.dead_letter_id: str | None = dead_letter if isinstance(dead_letter, str) else None
        self.arn = f"arn:aws:{link.target.kind.name}:{REGION}:{ACCOUNT}:{link.target.id}"
        sqs_parameters = properties.get("SqsParameters")
        group = sqs_parameters.get("MessageGroupId") if isinstance(sqs_parameters, dict) else None
        self.message_group_id: str | None = group if isinstance(group, str) else None

    def input(self, event: dict[str, Any]) -> Any:
        if self.transformer is None:
            return event
        return self.transformer.apply(event, self.rule.name, self.rule.arn)


class Rule:
    """A rule: its event pattern and its targets (the connections that share its RuleName)."""

    __slots__ = ("name", "arn", "matcher", "targets", "matched", "triggered")

    def __init__(self, bus_id: str, name: str, pattern: dict[str, Any] | None) -> None:
        self.name = name
        self.arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus_id}/{name}"
        self.matcher: EventMatcher | None = compile_event_pattern(pattern) if pattern else None
        self.targets: list[Target] = []

    def matches(self, event: dict[str, Any]) -> bool:
        return self.matcher is None or self.matcher(event)


class Invocation(Delivery):
    """One target's copy of one event, from its first attempt to its end."""

    __slots__ = ("target", "received_at", "pair")

    def __init__(self, target: Target, message: Message, received_at: float, hop: Hop) -> None:
        super().__init__(target.link, message, hop)
        self.target = target
        self.received_at = received_at
        # At-least-once, the copy and its twin share this: the first call made of the two, whichever
        # is delivered first (the other repeats that delivery).
        self.pair: list[str | None] | None = None


class Archived:
    """An event the bus's archive kept: when it arrived, the event, and the message it came as."""

    __slots__ = ("time", "event", "message_id", "size_bytes")

    def __init__(self, time: float, event: dict[str, Any], message_id: str, size_bytes: int) -> None:
        self.time = time
        self.event = event
        self.message_id = message_id
        self.size_bytes = size_bytes


class EventBus(FanOut):
    def connect(self) -> None:
        self.arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{self.id}"
        self.put_latency = Duration.from_spec(self.behavior["put_events_ms"])
        self.delivery_latency = Duration.from_spec(self.behavior["delivery_ms"])
        self.duplicate_delivery_rate = float(self.behavior["duplicate_delivery_rate"])
        rules: dict[str, Rule] = {}
        for link in self.links("rule"):
            name = rule_name_of(link)
            rule = rules.get(name)
            if rule is None:
                rule = rules[name] = Rule(self.id, name, link.properties.get("EventPattern"))
            rule.targets.append(Target(rule, link))
        self.rules = list(rules.values())
        self.put_events = self.event_chunks = self.failed_entries = 0
        self.matched_events = self.triggered_rules = self.invocations = self.failed_invocations = 0
        self.throttled_rules = 0
        archive = self.properties.get("Archive")
        self.archiving = isinstance(archive, dict)
        pattern = archive.get("EventPattern") if isinstance(archive, dict) else None
        self.archive_matcher: EventMatcher | None = compile_event_pattern(pattern) if pattern else None
        days = int(archive.get("RetentionDays") or 0) if isinstance(archive, dict) else 0
        self.retention_s: float | None = days * 86_400.0 if days > 0 else None
        self.archive: list[Archived] = []
        self.archived_count = self.archived_bytes = 0
        self.replays: list[dict[str, Any]] = list(self.behavior.get("replays") or [])
        self.replayed = 0

    def start(self) -> None:
        for replay in self.replays:
            self.kernel.schedule(float(replay["at_s"]) - self.kernel.now, self._replay, replay)

    def operation(self, link: Link | None) -> str:
        return "PutEvents"

    # PutEvents -------------------------------------------------------------------------
    def request(self, call_: Call) -> None:
        now = self.kernel.now
        message = call_.message
        hop = self._open(message, call_.parent_id, now, {"operation": "PutEvents", "event_bus_name": self.id}, 1)
        latency = self._latency(self.put_latency, now)
        refusal = self._injected_refusal(now, "ThrottlingException", "InternalException")
        if refusal is not None:
            self.failed_entries += 1
            self.kernel.schedule(latency, self._answer, call_, hop, refusal)
            return
        event = self.envelope(message, now, call_.link)
        self.put_events += 1
        self.event_chunks += max(1, math.ceil(message.size_bytes / EVENTBRIDGE_CHUNK_BYTES))
        if self.archiving and (self.archive_matcher is None or self.archive_matcher(event)):
            self.archive.append(Archived(now, event, message.message_id, message.size_bytes))
            self.archived_count += 1
            self.archived_bytes += message.size_bytes
        self._route(message, event, hop, now, latency)
        self.kernel.schedule(latency, self._answer, call_, hop,
                             Reply(200, payload={"FailedEntryCount": 0, "Entries": [{"EventId": event["id"]}]}))

    def envelope(self, message: Message, now: float, link: Link | None = None) -> dict[str, Any]:
        """The event as the bus stores and delivers it: the message's payload is its detail."""
        attributes = message.attributes
        resources = attributes.get("resources")
        source = str(attributes.get("source", DEFAULT_SOURCE))
        detail_type = str(attributes.get("detail-type", DEFAULT_DETAIL_TYPE))
        if link is not None and link.role in DESTINATION_DETAIL_TYPES and link.source.kind.name == "lambda":
            # A Lambda destination record arrives as Lambda's own event.
            source, detail_type = "lambda", DESTINATION_DETAIL_TYPES[link.role]
            resources = [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{link.source.id}:$LATEST"]
        return {
            "version": "0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "detail-type": detail_type,
            "source": source,
            "account": ACCOUNT,
            "time": event_time(now),
            "region": REGION,
            "resources": list(resources) if isinstance(resources, list) else [],
            "detail": message.payload,
        }

    def _route(self, message: Message, event: dict[str, Any], hop: Hop, now: float, accepted_after: float) -> None:
        """Each target of each matching rule gets its own copy (transformed if it says so)."""
        matched: list[str] = []
        for rule in self.rules:
            if not rule.matches(event):
                continue
            matched.append(rule.name)
            for target in rule.targets:
                copy = message.copy(payload=target.input(event))
                copy.attributes = {}  # what the caller said of the event is in the envelope now, not beside it
                if target.message_group_id is not None:
                    # A FIFO queue target: the rule's group, and the event id as the deduplication id.
                    copy.group_id = target.message_group_id
                    copy.deduplication_id = event["id"]
                invocation = Invocation(target, copy, now, hop)
                self._send(invocation, accepted_after)
                if self.duplicate_delivery_rate and self.rng.random() < self.duplicate_delivery_rate:
                    twin = message.copy(payload=copy.payload)
                    twin.attributes = {}
                    twin.group_id, twin.deduplication_id = copy.group_id, copy.deduplication_id
                    second = Invocation(target, twin, now, hop)
                    invocation.pair = second.pair = [None]
                    self._send(second, accepted_after)
        if matched:
            self.matched_events += 1
            self.triggered_rules += len(matched)
        segment = hop.segment
        segment.metadata = {**(segment.metadata or {}), "eventbridge": {"event": event, "matched_rules": matched}}

    # Archive and replay -----------------------------------------------------------------
    def _replay(self, replay: dict[str, Any]) -> None:
        """StartReplay: each archived event of the time window goes to the rules again, as a new
        message with a trace of its own and ``replay-name`` in its envelope."""
        now = self.kernel.now
        name = str(replay["ReplayName"])
        start, end = float(replay["EventStartTime"]), float(replay["EventEndTime"])
        if self.retention_s is not None:
            kept_from = now - self.retention_s
            self.archive = [entry for entry in self.archive if entry.time >= kept_from]
        ledger = self.sim.ledger
        for entry in self.archive:
            if not start <= entry.time < end:
                continue
            self.replayed += 1
            event = {**entry.event, "replay-name": name}
            message_id = f"{entry.message_id}-{name}"
            trace_id = self.sim.ids.trace_id(now)
            record = ledger.accept(message_id, trace_id, now)
            message = Message(message_id, trace_id, event["detail"], record, sent_at=now)
            hop = self._open(message, None, now,
                             {"operation": "StartReplay", "event_bus_name": self.id, "replay_name": name}, 1)
            hop.segment.annotations["outcome"] = "ok"
            self._route(message, event, hop, now, 0.0)
            self._hop_done(hop)
            # The replay's own hold on the new message ends once its copies are on their way.
            ledger.release(record, COMPLETED, now)

    # Delivery --------------------------------------------------------------------------
    def _annotate(self, delivery: Delivery, subsegment: Subsegment) -> None:
        assert isinstance(delivery, Invocation)
        annotations: dict[str, str | int | float | bool] = {"rule": delivery.target.rule.name}
        pair = delivery.pair
        if pair is not None and delivery.first_subsegment_id is None:  # its first attempt
            if pair[0] is None:
                pair[0] = subsegment.id
            else:
                delivery.repeats = pair[0]
        if delivery.repeats is not None:
            annotations["repeats"] = delivery.repeats
        subsegment.annotations = annotations

    def _delivered(self, delivery: Delivery) -> None:
        self.invocations += 1

    def _failed(self, delivery: Delivery, reply: Reply) -> None:
        assert isinstance(delivery, Invocation)
        if reply.throttled:
            self.throttled_rules += 1
        target = delivery.target
        retriable = reply.status >= 500 or reply.throttled
        now = self.kernel.now
        if not retriable:
            self._give_up(delivery, reply, "NonRetriableError")
            return
        if delivery.attempt > target.maximum_retry_attempts:
            self._give_up(delivery, reply, "MaximumRetryAttemptsExhausted")
            return
        delay = retry_delay(delivery.attempt, self.rng.random())
        if now + delay - delivery.received_at > target.maximum_event_age_s:
            self._give_up(delivery, reply, "MaximumEventAgeExhausted")
            return
        self._retry_after(delivery, delay)

    def _retry_aws(self) -> dict[str, Any]:
        return {"operation": "PutEvents", "event_bus_name": self.id}

    # Giving up -------------------------------------------------------------------------
    def _give_up(self, delivery: Invocation, reply: Reply, condition: str) -> None:
        """Delivery failed for good: the event goes to the target's dead-letter queue, or is dropped;
        the dead letter's attributes say why, as EventBridge's do."""
        self.invocations += 1
        self.failed_invocations += 1
        target = delivery.target
        self._dead_letter(delivery, target.dead_letter_id, {"dead_letter": True, "rule": target.rule.name}, {
            "RULE_ARN": target.rule.arn,
            "TARGET_ARN": target.arn,
            "ERROR_CODE": reply.error or str(reply.status),
            "ERROR_MESSAGE": reply.message,
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": delivery.attempt - 1,
        })

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "PutEventsRequests": self.put_events + self.failed_entries,
            "PutEventsFailedEntries": self.failed_entries,
            "MatchedEvents": self.matched_events,
            "TriggeredRules": self.triggered_rules,
            "Invocations": self.invocations,
            "FailedInvocations": self.failed_invocations,
            "ThrottledRules": self.throttled_rules,
            "RetryInvocationAttempts": self.retry_attempts,
            "DeadLetterInvocations": self.dead_lettered,
            "InvocationsFailedToBeSentToDlq": self.failed_to_dead_letter,
            **({"EventsArchived": self.archived_count, "EventsReplayed": self.replayed} if self.archiving else {}),
        }

    def activity(self) -> tuple[int, int, int]:
        return (self.put_events, self.failed_invocations, self.throttled_rules)

    def cost_usd(self) -> float:
        return (self.event_chunks * EVENTBRIDGE_PER_EVENT
                + self.archived_bytes / 1024.0 ** 3 * EVENTBRIDGE_ARCHIVE_PER_GB)


def event_time(virtual_seconds: float) -> str:
    """The envelope's time: ISO 8601 in UTC to the second, as EventBridge writes it (2026-01-01T00:00:00Z)."""
    return datetime.fromtimestamp(EPOCH + virtual_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

