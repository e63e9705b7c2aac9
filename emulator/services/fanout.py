"""Delivering copies of a message to targets, for the services that fan out (SNS, EventBridge).

A topic and a bus both accept a message in a request of their own, answer it, and hand each
subscriber or rule target its own copy some time later; each copy is retried on failure, on the
service's own schedule, until it is delivered or the service gives up and sends it to a
dead-letter queue or drops it. What that life looks like in a trace is the same for both: the
request's segment stays open until every call made in it has been answered, each retry is a
segment of its own under the first attempt's call, and the copy's ledger token is given back
with how it ended. ``FanOut`` holds that life; each service keeps what AWS does differently
(what matches, what the copy looks like, when it is retried and what a dead letter carries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.definitions import Kind
from emulator.distributions import Duration
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST, Message
from emulator.services.base import Call, Component, Link, Reply, call_subsegment, mark, service_unavailable, throttled
from emulator.tracing import Segment, Subsegment, epoch

if TYPE_CHECKING:
    from emulator.simulation import Simulation
    from emulator.topology import ComponentSpec


class Hop:
    """A segment of the service that stays open until the calls made in it have been answered."""

    __slots__ = ("segment", "waiting")

    def __init__(self, segment: Segment, waiting: int) -> None:
        self.segment = segment
        self.waiting = waiting


class Delivery:
    """One target's copy of one message, from its first attempt to its end."""

    __slots__ = ("link", "message", "attempt", "hop", "first_subsegment_id", "retrying", "repeats")

    def __init__(self, link: Link, message: Message, hop: Hop) -> None:
        self.link = link
        self.message = message
        self.attempt = 1
        self.hop = hop
        self.first_subsegment_id: str | None = None
        self.retrying = False
        # An at-least-once second copy: the first attempt's call of the copy it repeats (see the ledger).
        self.repeats: str | None = None


class FanOut(Component):
    """A component that accepts messages and delivers copies of them to its targets."""

    # Set by the service in connect(): how long a copy takes to reach its target after the request.
    delivery_latency: Duration

    def __init__(self, sim: Simulation, spec: ComponentSpec, kind: Kind) -> None:
        super().__init__(sim, spec, kind)
        self.retrying = 0  # deliveries waiting for a retry
        # Tracked copies held (their ledger tokens), and how many of them wait for a retry.
        self.held_copies = self.held_retrying = 0
        self.retry_attempts = 0
        self.dead_lettered = self.failed_to_dead_letter = 0

    # Hooks for the service ---------------------------------------------------------------
    def _succeeded(self, reply: Reply) -> bool:
        """Did the target take the copy?"""
        return reply.ok

    def _delivered(self, delivery: Delivery) -> None:
        """Count a copy the target took (its token is given back after)."""

    def _failed(self, delivery: Delivery, reply: Reply) -> None:
        """An attempt failed: ``_retry_after`` a delay, or ``_dead_letter`` / ``_end`` it for good."""
        raise NotImplementedError

    def _due(self, delivery: Delivery, delay: float) -> float:
        """The delay before the first attempt, given the one drawn (ordered delivery may add to it)."""
        return delay

    def _annotate(self, delivery: Delivery, subsegment: Subsegment) -> None:
        """Annotate the subsegment of an attempt."""

    def _retry_aws(self) -> dict[str, Any]:
        """The ``aws`` fields of a retry's segment."""
        return {}

    # The request -------------------------------------------------------------------------
    def _open(self, message: Message, parent_id: str | None, now: float, aws: dict[str, Any], attempt: int) -> Hop:
        """A new segment of this service, open (and emitted as in progress if the run ends first)."""
        segment = self.new_segment(message, parent_id, now)
        segment.aws = aws
        segment.annotations["attempt"] = attempt
        self.open_segments[segment.id] = segment
        return Hop(segment, 1)

    def _latency(self, latency: Duration, now: float) -> float:
        """Seconds the request takes: the service's latency and any injected on top."""
        seconds = latency.sample(self.rng) / 1000.0
        if self.faults:
            seconds += self.faults.extra_ms(now) / 1000.0
        return seconds

    def _injected_refusal(self, now: float, throttling_error: str, internal_error: str) -> Reply | None:
        """The answer an injected fault gives the request instead of success, or None."""
        faults = self.faults
        if not faults:
            return None
        if faults.unavailable(now):
            return service_unavailable(self.id)
        if faults.throttled(now):
            return throttled(self.id, throttling_error)
        if self.rng.random() < faults.error_rate(now, 0.0):
            return Reply(500, internal_error, "Internal error (injected fault)")
        return None

    def _answer(self, call_: Call, hop: Hop, reply: Reply) -> None:
        segment = hop.segment
        segment.http = {"response": {"status": reply.status}}
        segment.annotations["outcome"] = reply_outcome(reply)
        mark(segment, reply, self.sim.ids.segment_id())
        call_.reply(reply)
        self._hop_done(hop)

    # Delivery ----------------------------------------------------------------------------
    def _send(self, delivery: Delivery, accepted_after: float) -> None:
        """Take a token for the copy and deliver it ``delivery_latency`` from now."""
        if delivery.message.tracked:
            self.sim.ledger.hold(delivery.message.record)
            self.held_copies += 1
        delivery.hop.waiting += 1
        # The service stores the message before it answers, so no target hears of it before the caller.
        delay = max(accepted_after, self.delivery_latency.sample(self.rng) / 1000.0)
        self.kernel.schedule(self._due(delivery, delay), self._deliver, delivery)

    def _deliver(self, delivery: Delivery) -> None:
        link = delivery.link
        subsegment, operation = call_subsegment(self, delivery.hop.segment, link)
        self._annotate(delivery, subsegment)
        if delivery.first_subsegment_id is None:
            delivery.first_subsegment_id = subsegment.id

        def answered(reply: Reply) -> None:
            self._attempted(delivery, subsegment, reply)

        link.target.request(Call(delivery.message, subsegment.id, link, answered, operation, None, delivery.repeats))

    def _attempted(self, delivery: Delivery, subsegment: Subsegment, reply: Reply) -> None:
        subsegment.end_time = epoch(self.kernel.now)
        mark(subsegment, reply, self.sim.ids.segment_id(), remote=True)
        hop = delivery.hop
        if delivery.attempt > 1:
            hop.segment.annotations["outcome"] = reply_outcome(reply)
        if self._succeeded(reply):
            self._delivered(delivery)
            # The target took a token of its own for what it keeps, inside request(), before answering.
            self._end(delivery, COMPLETED)
        else:
            self._failed(delivery, reply)
        self._hop_done(hop)

    def _retry_after(self, delivery: Delivery, delay: float) -> None:
        if not delivery.retrying:
            delivery.retrying = True
            self.retrying += 1
        if delivery.message.tracked:
            self.held_retrying += 1
        self.kernel.schedule(delay, self._retry, delivery)

    def _retry(self, delivery: Delivery) -> None:
        """Each retry is a segment of its own, under the first attempt's subsegment."""
        if delivery.message.tracked:
            self.held_retrying -= 1
        delivery.attempt += 1
        self.retry_attempts += 1
        delivery.hop = self._open(delivery.message, delivery.first_subsegment_id, self.kernel.now,
                                  self._retry_aws(), delivery.attempt)
        self._deliver(delivery)

    # Giving up ---------------------------------------------------------------------------
    def _dead_letter(self, delivery: Delivery, queue_id: str | None, annotations: dict[str, Any],
                     attributes: dict[str, Any] | None = None) -> None:
        """Delivery failed for good: the copy goes to the dead-letter queue (with ``attributes``
        in place of its own, if given), or is lost when there is none."""
        queue = self.sim.components.get(queue_id) if queue_id is not None else None
        if queue is None:
            self._end(delivery, LOST)
            return
        hop = delivery.hop
        hop.waiting += 1
        operation = queue.operation(None)
        subsegment = hop.segment.add(Subsegment(
            id=self.sim.ids.segment_id(), name=queue.id, start_time=epoch(self.kernel.now), namespace="aws",
            aws={"operation": operation}, annotations=annotations,
        ))
        # The dead letter is untracked: the copy's outcome is settled here, the queue holds no token for it.
        dead_letter = delivery.message.copy(tracked=False)
        if attributes is not None:
            dead_letter.attributes = attributes

        def answered(reply: Reply) -> None:
            subsegment.end_time = epoch(self.kernel.now)
            mark(subsegment, reply, self.sim.ids.segment_id(), remote=True)
            if reply.ok:
                self.dead_lettered += 1
                self._end(delivery, DEAD_LETTERED)
            else:
                self.failed_to_dead_letter += 1
                self._end(delivery, LOST)
            self._hop_done(hop)

        queue.request(Call(dead_letter, subsegment.id, None, answered, operation))

    def _end(self, delivery: Delivery, outcome: int) -> None:
        """The copy's journey is over: give its token back with how it ended."""
        if delivery.retrying:
            self.retrying -= 1
        if delivery.attempt > 1 and outcome != COMPLETED:
            delivery.hop.segment.annotations["outcome"] = "dead_lettered" if outcome == DEAD_LETTERED else "lost"
        message = delivery.message
        if message.tracked:
            self.held_copies -= 1
            self.sim.ledger.release(message.record, outcome, self.kernel.now)

    def _hop_done(self, hop: Hop) -> None:
        hop.waiting -= 1
        if hop.waiting == 0:
            hop.segment.end_time = epoch(self.kernel.now)
            self.open_segments.pop(hop.segment.id, None)
            self.emit(hop.segment)

    # Reporting ---------------------------------------------------------------------------
    def gauges(self) -> dict[str, float]:
        return {"deliveries_retrying": self.retrying}

    def in_flight(self) -> dict[str, int]:
        """Copies on their way to a target or its dead-letter queue ("delivering"), and those waiting
        for their next attempt ("waiting_for_retry")."""
        states = {"delivering": self.held_copies - self.held_retrying, "waiting_for_retry": self.held_retrying}
        return {state: count for state, count in states.items() if count}


def reply_outcome(reply: Reply) -> str:
    """A reply as a segment's ``outcome`` annotation."""
    if reply.ok:
        return "ok"
    if reply.throttled:
        return "throttled"
    return "error" if reply.status < 500 else "fault"
