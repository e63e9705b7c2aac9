"""The outside client at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.histogram import Latencies
from emulator.messages import Message
from emulator.services.base import OK, Call, Component, Link, Reply, call, mark
from emulator.services.client.poll import PollSettings
from emulator.tracing import EPOCH, Segment, epoch


class Client(Component):
    def connect(self) -> None:
        # Polling connections: a client without them keeps no polling state or metrics.
        self.polling: dict[Link, PollSettings] = {
            link: PollSettings(link.properties["poll"])
            for link in self.links("request") if link.properties.get("poll") is not None
        }
        self.polls = self.wasted_polls = self.polled_messages = self.gave_up = 0
        self.notification_delay = Latencies()
        # Whether it holds WebSocket connections, where pushed messages arrive.
        self.listens = any(link.target.kind.name == "websocket" for link in self.links("request"))
        self.received = 0

    def request(self, call_: Call) -> None:
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, self.kernel.now)
        segment.annotations["attempt"] = 1
        self.open_segments[segment.id] = segment
        links = [link for link in self.links("request", "event") if link.wants(message.payload)]
        self._next(call_, segment, links, 0, OK)

    def _next(self, call_: Call, segment: Segment, links: list[Link], index: int, last: Reply) -> None:
        # The caller sees the last answer it got: the first failure ends the sequence.
        if index == len(links) or not last.ok:
            self._done(call_, segment, last)
            return
        link = links[index]
        if self.polling and link in self.polling:
            self.polled_messages += 1
            self._poll(call_, segment, links, index, 1)
            return

        def answered(reply: Reply) -> None:
            self._next(call_, segment, links, index + 1, reply)

        # A browser or device does not retry on its own: what it sees is what the API answered.
        call(self, segment, link, call_.message, answered, sdk_retries=False)

    def _poll(self, call_: Call, segment: Segment, links: list[Link], index: int, polls: int) -> None:
        """Ask again for the same message; go on to the next connection once the answer matches."""
        link = links[index]
        settings = self.polling[link]
        self.polls += 1

        def answered(reply: Reply) -> None:
            if reply.ok and settings.done(reply.payload):
                self.wasted_polls += polls - 1
                segment.annotations["polls"] = polls
                segment.annotations["poll"] = "done"
                delay_ms = _since_update_ms(reply.payload, self.kernel.now)
                if delay_ms is not None:
                    self.notification_delay.add(delay_ms)
                self._next(call_, segment, links, index + 1, reply)
            elif polls >= settings.max_polls:
                # Every poll was wasted; the last answer stands (the request itself worked).
                self.wasted_polls += polls
                self.gave_up += 1
                segment.annotations["polls"] = polls
                segment.annotations["poll"] = "gave_up"
                self._next(call_, segment, links, index + 1, reply)
            else:
                # An error answer is not a status either: a polling client just asks again.
                self.kernel.schedule(settings.interval_s, self._poll, call_, segment, links, index, polls + 1)

        call(self, segment, link, call_.message, answered, sdk_retries=False)

    def receive(self, message: Message, parent_id: str) -> None:
        """A message pushed to it over a WebSocket connection arrives: its receipt, in the message's trace."""
        now = self.kernel.now
        self.received += 1
        segment = self.new_segment(message, parent_id, now)
        segment.end_time = epoch(now)
        segment.annotations["outcome"] = "received"
        self.emit(segment)

    def _done(self, call_: Call, segment: Segment, reply: Reply) -> None:
        segment.end_time = epoch(self.kernel.now)
        segment.http = {"response": {"status": reply.status}}
        segment.annotations["outcome"] = "ok" if reply.ok else ("throttled" if reply.throttled else "error")
        mark(segment, reply, self.sim.ids.segment_id(), remote=True)
        del self.open_segments[segment.id]
        self.emit(segment)
        call_.reply(reply)

    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        if self.listens:
            metrics["MessagesReceived"] = self.received
        if not self.polling:
            return metrics
        return metrics | {
            "Polls": self.polls,
            "WastedPolls": self.wasted_polls,
            "PolledMessages": self.polled_messages,
            "PollsPerMessage": round(self.polls / self.polled_messages, 3) if self.polled_messages else 0.0,
            "PollsGivenUp": self.gave_up,
            # From the item's update to the poll that saw it: what polling adds to a status change.
            "NotificationDelay": self.notification_delay.percentiles((50, 99), with_max=True),
        }

    def activity(self) -> tuple[int, int, int]:
        return (self.polls, 0, 0)


def _since_update_ms(answer: Any, now: float) -> float | None:
    """Milliseconds since the answered item was updated (its ``updated_at``), when it says."""
    item = answer.get("Item") if isinstance(answer, dict) else None
    updated_at = item.get("updated_at") if isinstance(item, dict) else None
    if isinstance(updated_at, (int, float)) and not isinstance(updated_at, bool):
        return max(0.0, (EPOCH + now - updated_at) * 1000.0)
    return None
