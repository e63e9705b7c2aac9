"""An S3 bucket at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from emulator.distributions import Duration
from emulator.messages import COMPLETED, LOST, Message
from emulator.pricing import S3_PER_GB_MONTH, S3_PER_PUT_REQUEST
from emulator.services.base import OK, Call, Component, Link, Reply, call, mark, service_unavailable
from emulator.tracing import EPOCH

HOURS_PER_MONTH = 730.0
_OPERATIONS = ("PutObject", "DeleteObject")


def object_key(message: Message) -> str:
    """The object's key: the payload's ``key`` field when it has one, else ``<message id>.json``."""
    payload = message.payload
    if isinstance(payload, dict) and isinstance(payload.get("key"), str):
        return str(payload["key"])
    return f"{message.message_id}.json"


def key_filter(value: Any) -> tuple[str, str]:
    """The prefix and suffix of a notification's Filter ({"S3Key": {"Rules": [{"Name", "Value"}]}})."""
    prefix = suffix = ""
    for rule in ((value or {}).get("S3Key") or {}).get("Rules") or ():
        if str(rule["Name"]).lower() == "prefix":
            prefix = str(rule["Value"])
        else:
            suffix = str(rule["Value"])
    return prefix, suffix


def event_matches(patterns: list[str], event_name: str) -> bool:
    """Does ``s3:ObjectCreated:Put`` match one of the configured event types (``s3:ObjectCreated:*``...)?"""
    name = f"s3:{event_name}"
    return any(pattern == name or (pattern.endswith(":*") and name.startswith(pattern[:-1])) for pattern in patterns)


class Notification:
    """An event notification configuration: which events, which keys, to which target."""

    __slots__ = ("link", "events", "prefix", "suffix")

    def __init__(self, link: Link) -> None:
        self.link = link
        self.events = list(link.properties.get("Events") or ["s3:ObjectCreated:*"])
        self.prefix, self.suffix = key_filter(link.properties.get("Filter"))

    def wants(self, event_name: str, key: str) -> bool:
        return event_matches(self.events, event_name) and key.startswith(self.prefix) and key.endswith(self.suffix)


class Bucket(Component):
    """An S3 bucket: PutObject and DeleteObject, and event notifications of what changed."""

    def connect(self) -> None:
        self.latency = Duration.from_spec(self.behavior["latency_ms"])
        self.duplicate_rate = float(self.behavior["duplicate_notification_rate"])
        self.notifications = [Notification(link) for link in self.links("notification")]
        self.objects: dict[str, int] = {}
        self.bytes_stored = 0
        # Byte-seconds stored, for the storage cost: the sum of size x time kept.
        self._byte_seconds = 0.0
        self._stored_since = 0.0
        self.put_requests = self.delete_requests = self.errors_4xx = self.errors_5xx = 0
        self.notifications_sent = self.notification_failures = 0
        self.notifying = 0  # tracked copies on their way to a notification's target
        self._sequencer = 0

    def operation(self, link: Link | None) -> str:
        operation = None if link is None else link.properties.get("Operation")
        return str(operation) if operation in _OPERATIONS else "PutObject"

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        faults = self.faults
        if faults and faults.unavailable(now):
            self.errors_5xx += 1
            self.kernel.schedule(0.001, call_.reply, service_unavailable(self.id))
            return
        message = call_.message
        key = object_key(message)
        operation = call_.operation if call_.operation in _OPERATIONS else "PutObject"
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = {"operation": operation, "bucket_name": self.id, "key": key}
        latency_s = self.latency.sample(self.rng) / 1000.0
        reply: Reply = OK
        if faults:
            latency_s += faults.extra_ms(now) / 1000.0
            if faults.throttled(now):
                reply = Reply(503, "SlowDown", "Please reduce your request rate.")
            elif self.rng.random() < faults.error_rate(now, 0.0):
                reply = Reply(500, "InternalError", "We encountered an internal error. Please try again.")
        if reply.ok:
            event_name = self._apply(operation, key, message)
            if event_name is not None:
                self._notify(message, segment.id, event_name, key)
            segment.annotations["outcome"] = "ok"
        else:
            self.errors_5xx += 1
            segment.annotations["outcome"] = "error"
            mark(segment, reply, self.segment_id())
        segment.end_time = EPOCH + now + latency_s
        self.emit(segment)
        self.kernel.schedule(latency_s, call_.reply, reply)

    def _apply(self, operation: str, key: str, message: Message) -> str | None:
        """Store or remove the object; the event it makes (None when nothing was there to delete)."""
        now = self.kernel.now
        self._byte_seconds += self.bytes_stored * (now - self._stored_since)
        self._stored_since = now
        if operation == "DeleteObject":
            self.delete_requests += 1
            size = self.objects.pop(key, None)
            if size is None:
                return None
            self.bytes_stored -= size
            return "ObjectRemoved:Delete"
        self.put_requests += 1
        payload = message.payload
        size = int(payload["size"]) if isinstance(payload, dict) and isinstance(payload.get("size"), int) \
            else message.size_bytes
        self.bytes_stored += size - self.objects.get(key, 0)
        self.objects[key] = size
        return "ObjectCreated:Put"

    def _notify(self, message: Message, parent_id: str, event_name: str, key: str) -> None:
        """Send the event to every notification that wants it, each copy held until its target took it."""
        for notification in self.notifications:
            if not notification.wants(event_name, key):
                continue
            self._sequencer += 1
            event = self._event(event_name, key, self.objects.get(key, 0))
            copies = 2 if self.duplicate_rate > 0 and self.rng.random() < self.duplicate_rate else 1
            # At least once: a second copy repeats the first's delivery (see the ledger's duplicates).
            first_call: str | None = None
            for _ in range(copies):
                copy = message.copy(payload=event)
                if copy.tracked:
                    self.sim.ledger.hold(copy.record)
                    self.notifying += 1
                call_id = self._deliver(notification.link, copy, parent_id, first_call)
                first_call = first_call or call_id

    def _deliver(self, link: Link, copy: Message, parent_id: str, repeats: str | None) -> str:
        """Send one notification in a segment of its own; returns the id of its call to the target."""
        segment = self.new_segment(copy, parent_id, self.kernel.now)
        segment.aws = {"operation": "Notification", "bucket_name": self.id}
        segment.annotations["event_name"] = str(copy.payload["Records"][0]["eventName"])
        self.open_segments[segment.id] = segment

        def answered(reply: Reply) -> None:
            segment.end_time = EPOCH + self.kernel.now
            del self.open_segments[segment.id]
            if reply.ok or reply.status == 202:
                self.notifications_sent += 1
                segment.annotations["outcome"] = "ok"
                outcome = COMPLETED
            else:
                self.notification_failures += 1
                segment.annotations["outcome"] = "error"
                mark(segment, reply, self.segment_id())
                outcome = LOST
            self.emit(segment)
            if copy.tracked:
                self.notifying -= 1
                self.sim.ledger.release(copy.record, outcome, self.kernel.now)

        return call(self, segment, link, copy, answered, repeats=repeats).id

    def _event(self, event_name: str, key: str, size: int) -> dict[str, Any]:
        """The S3 event message (event structure version 2.1)."""
        moment = datetime.fromtimestamp(EPOCH + self.kernel.now, tz=UTC)
        return {"Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "eventName": event_name,
            "s3": {
                "s3SchemaVersion": "1.0",
                "bucket": {"name": self.id, "arn": f"arn:aws:s3:::{self.id}"},
                "object": {"key": key, "size": size, "sequencer": f"{self._sequencer:016X}"},
            },
        }]}

    # Reporting -----------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        return {
            "PutRequests": self.put_requests,
            "DeleteRequests": self.delete_requests,
            "5xxErrors": self.errors_5xx,
            "NumberOfObjects": len(self.objects),
            "BucketSizeBytes": self.bytes_stored,
            "NotificationsSent": self.notifications_sent,
            "NotificationFailures": self.notification_failures,
        }

    def gauges(self) -> dict[str, float]:
        return {"objects": float(len(self.objects))}

    def in_flight(self) -> dict[str, int]:
        """Event notifications on their way to their targets."""
        return {"notifying": self.notifying} if self.notifying else {}

    def activity(self) -> tuple[int, int, int]:
        return (self.put_requests + self.delete_requests, self.errors_5xx, 0)

    def cost_usd(self) -> float:
        byte_seconds = self._byte_seconds + self.bytes_stored * (self.kernel.now - self._stored_since)
        gb_months = byte_seconds / 1024 ** 3 / 3600.0 / HOURS_PER_MONTH
        return self.put_requests * S3_PER_PUT_REQUEST + gb_months * S3_PER_GB_MONTH
