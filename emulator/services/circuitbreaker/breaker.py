"""A circuit breaker at run time (the rules it follows are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.services.base import Call, Component, Link, Reply, call, mark
from emulator.tracing import EPOCH, Segment

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"
# The event a Lambda destination sends to EventBridge for a successful invocation; any other event
# a rule delivers to the breaker reports a failure.
SUCCESS_DETAIL_TYPE = "Lambda Function Invocation Result - Success"


class CircuitBreaker(Component):
    # The breaker is code in the caller: no SDK retries around it (the call it protects keeps its own).
    retried_by_sdk = False

    def connect(self) -> None:
        behavior = self.behavior
        self.failure_threshold = int(behavior["failure_threshold"])
        self.open_s = float(behavior["open_s"])
        self.half_open_probes = int(behavior["half_open_probes"])
        self.state_latency = Duration.from_spec(behavior["state_ms"])
        self.protected = self.links("request")
        self.state = CLOSED
        self.consecutive_failures = 0
        self.opened_at = 0.0
        # Half-open: probes let through and not yet answered, and probes that succeeded.
        self.probes_out = self.probes_ok = 0
        self.permitted = self.rejected = self.successes = self.failures = self.opened = 0
        self.transitions: list[tuple[float, str]] = []

    def operation(self, link: Link | None) -> str:
        return "Call"

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        segment = self.new_segment(call_.message, call_.parent_id, now)
        segment.annotations["attempt"] = 1
        self.open_segments[segment.id] = segment
        reported = call_.link is not None and call_.link.role == "rule"
        self.kernel.schedule(self.state_latency.sample(self.rng) / 1000.0,
                             self._record if reported else self._decide, call_, segment)

    def _current_state(self, now: float) -> str:
        """The state at ``now``: an open circuit is half-open from the moment its ``open_s`` ends. No
        timer: the state decides only calls, asked when they come; the transition is dated when
        it happened, for the metrics, whoever asks first."""
        if self.state == OPEN and now >= self.opened_at + self.open_s:
            self._move(HALF_OPEN, self.opened_at + self.open_s)
        return self.state

    def _record(self, call_: Call, segment: Segment) -> None:
        """An EventBridge rule reports the outcome of a call made outside the breaker."""
        self._current_state(self.kernel.now)
        event = call_.message.payload
        ok = isinstance(event, dict) and event.get("detail-type") == SUCCESS_DETAIL_TYPE
        segment.annotations["breaker"] = self.state
        segment.annotations["reported"] = "success" if ok else "failure"
        # While half-open, a report settles the check that was let through as a probe.
        probe = self.state == HALF_OPEN and self.probes_out > 0
        self._observed(Reply(200) if ok else Reply(500, "ReportedFailure"), probe)
        self._answer(call_, segment, Reply(200))

    def _decide(self, call_: Call, segment: Segment) -> None:
        self._current_state(self.kernel.now)
        segment.annotations["breaker"] = self.state
        target = next((link for link in self.protected if link.wants(call_.message.payload)), None)
        # Without protected connections the breaker is a state check only: the caller makes the
        # call itself and EventBridge rules report how it went.
        if target is None and self.protected:
            self._answer(call_, segment, Reply(200))
            return
        if self.state == OPEN or (self.state == HALF_OPEN and self.probes_out + self.probes_ok
                                  >= self.half_open_probes):
            self.rejected += 1
            retry_at = self.opened_at + self.open_s
            what = f"the circuit to {target.target.id}" if target is not None else f"the circuit {self.id}"
            self._answer(call_, segment, Reply(503, "CircuitOpen", f"{what} is open "
                                               f"until {retry_at:.3f} s: the call failed fast"))
            return
        self.permitted += 1
        probe = self.state == HALF_OPEN
        if probe:
            self.probes_out += 1
            segment.annotations["probe"] = True
        if target is None:
            self._answer(call_, segment, Reply(200))
            return

        def answered(reply: Reply) -> None:
            self._observed(reply, probe)
            self._answer(call_, segment, reply)

        call(self, segment, target, call_.message, answered, holder=call_.holder)

    def _observed(self, reply: Reply, probe: bool) -> None:
        """Count a protected call's answer, and move the state as it says."""
        now = self.kernel.now
        if probe:
            self.probes_out -= 1
        if reply.ok:
            self.successes += 1
            self.consecutive_failures = 0
            if probe and self.state == HALF_OPEN:
                self.probes_ok += 1
                if self.probes_ok >= self.half_open_probes:
                    self._move(CLOSED, now)
            return
        self.failures += 1
        self.consecutive_failures += 1
        if (probe and self.state == HALF_OPEN) or (
                self.state == CLOSED and self.consecutive_failures >= self.failure_threshold):
            self._move(OPEN, now)

    def _move(self, state: str, now: float) -> None:
        self.state = state
        self.transitions.append((now, state))
        self.probes_out = self.probes_ok = 0
        if state == OPEN:
            self.opened += 1
            self.opened_at = now
        elif state == CLOSED:
            self.consecutive_failures = 0

    def _answer(self, call_: Call, segment: Segment, reply: Reply) -> None:
        segment.end_time = EPOCH + self.kernel.now
        if reply.ok:
            segment.annotations["outcome"] = "ok"
        else:
            segment.annotations["outcome"] = "rejected" if reply.error == "CircuitOpen" else (
                "fault" if reply.status >= 500 else "error")
            mark(segment, reply, self.segment_id())
        del self.open_segments[segment.id]
        self.emit(segment)
        call_.reply(reply)

    def metrics(self) -> dict[str, Any]:
        self._current_state(self.kernel.now)
        return {
            "CallsPermitted": self.permitted,
            "CallsRejected": self.rejected,
            "Successes": self.successes,
            "Failures": self.failures,
            "TimesOpened": self.opened,
            "State": self.state,
            "Transitions": [{"at_s": round(at, 3), "state": state} for at, state in self.transitions],
        }

    def gauges(self) -> dict[str, float]:
        state = self._current_state(self.kernel.now)
        return {"open": 1.0 if state == OPEN else 0.5 if state == HALF_OPEN else 0.0}

    def activity(self) -> tuple[int, int, int]:
        return (self.permitted + self.rejected, self.failures + self.rejected, 0)
