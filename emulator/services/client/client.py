"""The outside client at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from emulator.services.base import OK, Call, Component, Link, Reply, call, mark
from emulator.tracing import Segment, epoch


class Client(Component):
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

        def answered(reply: Reply) -> None:
            self._next(call_, segment, links, index + 1, reply)

        # A browser or device does not retry on its own: what it sees is what the API answered.
        call(self, segment, links[index], call_.message, answered, sdk_retries=False)

    def _done(self, call_: Call, segment: Segment, reply: Reply) -> None:
        segment.end_time = epoch(self.kernel.now)
        segment.http = {"response": {"status": reply.status}}
        segment.annotations["outcome"] = "ok" if reply.ok else ("throttled" if reply.throttled else "error")
        mark(segment, reply, self.sim.ids.segment_id(), remote=True)
        del self.open_segments[segment.id]
        self.emit(segment)
        call_.reply(reply)
