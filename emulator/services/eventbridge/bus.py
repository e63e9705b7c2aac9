"""An EventBridge event bus at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from emulator.distributions import Duration
from emulator.matching import EventMatcher, compile_event_pattern
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST, Message
from emulator.pricing import EVENTBRIDGE_ARCHIVE_PER_GB, EVENTBRIDGE_CHUNK_BYTES, EVENTBRIDGE_PER_EVENT
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
from emulator.services.eventbridge.transformer import InputTransformer
from emulator.tracing import EPOCH, Segment, Subsegment, epoch

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


class Hop:
    """A segment of the bus that stays open until the calls made in it have been answered."""

    __slots__ = ("segment", "waiting")

    def __init__(self, segment: Segment, waiting: int) -> None:
        self.segment = segment
        self.waiting = waiting


class Delivery:
    """One target's copy of one event, from its first attempt to its end."""

    __slots__ = ("target", "message", "received_at", "attempt", "hop", "first_subsegment_id", "retrying")

    def __init__(self, target: Target, message: Message, received_at: float, hop: Hop) -> None:
        self.target = target
        self.message = message
        self.received_at = received_at
        self.attempt = 1
        self.hop = hop
        self.first_subsegment_id: str | None = None
        self.retrying = False


class Archived:
    """An event the bus's archive kept: when it arrived, the event, and the message it came as."""

    __slots__ = ("time", "event", "message_id", "size_bytes")

    def __init__(self, time: float, event: dict[str, Any], message_id: str, size_bytes: int) -> None:
        self.time = time
        self.event = event
        self.message_id = message_id
        self.size_bytes = size_bytes


class EventBus(Component):
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
        self.throttled_rules = self.retry_attempts = 0
        self.dead_letter_invocations = self.failed_to_dead_letter = 0
        self.retrying = 0
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
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = {"operation": "PutEvents", "event_bus_name": self.id}
        segment.annotations["attempt"] = 1
        latency = self.put_latency.sample(self.rng) / 1000.0
        if self.faults:
            latency += self.faults.extra_ms(now) / 1000.0
        hop = Hop(segment, 1)
        self.open_segments[segment.id] = segment
        refusal = self._refusal(now)
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

    def _refusal(self, now: float) -> Reply | None:
        faults = self.faults
        if not faults:
            return None
        if faults.unavailable(now):
            return service_unavailable(self.id)
        if faults.throttled(now):
            return throttled(self.id)
        if self.rng.random() < faults.error_rate(now, 0.0):
            return Reply(500, "InternalException", "Internal error (injected fault)")
        return None

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
                self._send(Delivery(target, copy, now, hop), accepted_after)
                if self.duplicate_delivery_rate and self.rng.random() < self.duplicate_delivery_rate:
                    self.sim.ledger.duplicate_deliveries += 1
                    twin = message.copy(payload=copy.payload)
                    twin.attributes = {}
                    twin.group_id, twin.deduplication_id = copy.group_id, copy.deduplication_id
                    self._send(Delivery(target, twin, now, hop), accepted_after)
        if matched:
            self.matched_events += 1
            self.triggered_rules += len(matched)
        segment = hop.segment
        segment.metadata = {**(segment.metadata or {}), "eventbridge": {"event": event, "matched_rules": matched}}

    def _send(self, delivery: Delivery, accepted_after: float) -> None:
        if delivery.message.tracked:
            self.sim.ledger.hold(delivery.message.record)
        delivery.hop.waiting += 1
        # The bus stores the event before it answers, so no target hears of it before the caller.
        delay = max(accepted_after, self.delivery_latency.sample(self.rng) / 1000.0)
        self.kernel.schedule(delay, self._deliver, delivery)

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
            segment = self.new_segment(message, None, now)
            segment.aws = {"operation": "StartReplay", "event_bus_name": self.id, "replay_name": name}
            segment.annotations["attempt"] = 1
            segment.annotations["outcome"] = "ok"
            self.open_segments[segment.id] = segment
            hop = Hop(segment, 1)
            self._route(message, event, hop, now, 0.0)
            self._hop_done(hop)
            # The replay's own hold on the new message ends once its copies are on their way.
            ledger.release(record, COMPLETED, now)

    def _answer(self, call_: Call, hop: Hop, reply: Reply) -> None:
        segment = hop.segment
        segment.http = {"response": {"status": reply.status}}
        segment.annotations["outcome"] = _outcome(reply)
        mark(segment, reply, self.sim.ids.segment_id())
        call_.reply(reply)
        self._hop_done(hop)

    # Delivery --------------------------------------------------------------------------
    def _deliver(self, delivery: Delivery) -> None:
        target = delivery.target
        link = target.link
        subsegment, operation = call_subsegment(self, delivery.hop.segment, link)
        subsegment.annotations = {"rule": target.rule.name}
        if delivery.first_subsegment_id is None:
            delivery.first_subsegment_id = subsegment.id

        def answered(reply: Reply) -> None:
            self._attempted(delivery, subsegment, reply)

        link.target.request(Call(delivery.message, subsegment.id, link, answered, operation))

    def _attempted(self, delivery: Delivery, subsegment: Subsegment, reply: Reply) -> None:
        subsegment.end_time = epoch(self.kernel.now)
        mark(subsegment, reply, self.sim.ids.segment_id(), remote=True)
        hop = delivery.hop
        if delivery.attempt > 1:
            hop.segment.annotations["outcome"] = _outcome(reply)
        if reply.status < 400 and not reply.function_error:
            self.invocations += 1
            self._end(delivery, COMPLETED)
        else:
            self._failed(delivery, reply)
        self._hop_done(hop)

    def _failed(self, delivery: Delivery, reply: Reply) -> None:
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
        if not delivery.retrying:
            delivery.retrying = True
            self.retrying += 1
        self.kernel.schedule(delay, self._retry, delivery)

    def _retry(self, delivery: Delivery) -> None:
        """Each retry is a segment of its own, under the first attempt's subsegment."""
        delivery.attempt += 1
        self.retry_attempts += 1
        segment = self.new_segment(delivery.message, delivery.first_subsegment_id, self.kernel.now)
        segment.aws = {"operation": "PutEvents", "event_bus_name": self.id}
        segment.annotations["attempt"] = delivery.attempt
        hop = Hop(segment, 1)
        self.open_segments[segment.id] = segment
        delivery.hop = hop
        self._deliver(delivery)

    # Giving up -------------------------------------------------------------------------
    def _give_up(self, delivery: Delivery, reply: Reply, condition: str) -> None:
        """Delivery failed for good: the event goes to the target's dead-letter queue, or is dropped."""
        self.invocations += 1
        self.failed_invocations += 1
        target = delivery.target
        queue = self.sim.components.get(target.dead_letter_id) if target.dead_letter_id is not None else None
        if queue is None:
            self._end(delivery, LOST)
            return
        hop = delivery.hop
        hop.waiting += 1
        operation = queue.operation(None)
        subsegment = hop.segment.add(Subsegment(
            id=self.sim.ids.segment_id(), name=queue.id, start_time=epoch(self.kernel.now), namespace="aws",
            aws={"operation": operation}, annotations={"dead_letter": True, "rule": target.rule.name},
        ))
        # The dead letter is untracked: the event's outcome is settled here. Its attributes say why,
        # as EventBridge's do.
        dead_letter = delivery.message.copy(tracked=False)
        dead_letter.attributes = {
            "RULE_ARN": target.rule.arn,
            "TARGET_ARN": target.arn,
            "ERROR_CODE": reply.error or str(reply.status),
            "ERROR_MESSAGE": reply.message,
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": delivery.attempt - 1,
        }

        def answered(answer: Reply) -> None:
            subsegment.end_time = epoch(self.kernel.now)
            mark(subsegment, answer, self.sim.ids.segment_id(), remote=True)
            if answer.ok:
                self.dead_letter_invocations += 1
                self._end(delivery, DEAD_LETTERED)
            else:
                self.failed_to_dead_letter += 1
                self._end(delivery, LOST)
            self._hop_done(hop)

        queue.request(Call(dead_letter, subsegment.id, None, answered, operation))

    def _end(self, delivery: Delivery, outcome: int) -> None:
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
            hop.segment.end_time = EPOCH + self.kernel.now
            self.open_segments.pop(hop.segment.id, None)
            self.emit(hop.segment)

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
            "DeadLetterInvocations": self.dead_letter_invocations,
            "InvocationsFailedToBeSentToDlq": self.failed_to_dead_letter,
            **({"EventsArchived": self.archived_count, "EventsReplayed": self.replayed} if self.archiving else {}),
        }

    def gauges(self) -> dict[str, float]:
        return {"deliveries_retrying": self.retrying}

    def activity(self) -> tuple[int, int, int]:
        return (self.put_events, self.failed_invocations, self.throttled_rules)

    def cost_usd(self) -> float:
        return (self.event_chunks * EVENTBRIDGE_PER_EVENT
                + self.archived_bytes / 1024.0 ** 3 * EVENTBRIDGE_ARCHIVE_PER_GB)


def event_time(virtual_seconds: float) -> str:
    """The envelope's time: ISO 8601 in UTC to the second, as EventBridge writes it (2026-01-01T00:00:00Z)."""
    return datetime.fromtimestamp(EPOCH + virtual_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _outcome(reply: Reply) -> str:
    if reply.ok:
        return "ok"
    if reply.throttled:
        return "throttled"
    return "error" if reply.status < 500 else "fault"
