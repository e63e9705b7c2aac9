"""What every emulated component shares: identity, wiring, the call protocol, metrics.

A synchronous call is ``target.request(call)``: the target answers later in virtual time
by calling ``call.reply(Reply(...))``. The caller records the call as a subsegment of its
own segment and passes that subsegment's id along, so the target's segment hangs under it
in the trace. ``call_with_retries`` adds the AWS SDK's standard retry mode for callers that
are application code (a Lambda function calling DynamoDB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from mypy_extensions import mypyc_attr

from emulator.definitions import Kind
from emulator.messages import Message
from emulator.tracing import EPOCH, Segment, Subsegment, cause

if TYPE_CHECKING:
    from emulator.simulation import Simulation
    from emulator.topology import ComponentSpec, ConnectionSpec


# Errors that mean "slow down" whatever their HTTP status (DynamoDB answers 400 for these).
THROTTLING_ERRORS: Final = frozenset({
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
})


class Reply:
    """A response: an HTTP-like status, and an AWS error name and message when it failed.

    A Lambda function error is status 200 with ``error`` set, as the Invoke API answers it
    (200 with X-Amz-Function-Error): the call worked, the function failed. A reply is never
    changed once made, so ``ok`` is worked out once, not on each of the several times it is asked.
    """

    __slots__ = ("status", "error", "message", "payload", "ok")

    def __init__(self, status: int = 200, error: str | None = None, message: str = "", payload: Any = None) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.payload = payload
        self.ok = status < 400 and error is None

    @property
    def throttled(self) -> bool:
        return self.status == 429 or self.error in THROTTLING_ERRORS

    @property
    def function_error(self) -> bool:
        return self.status < 400 and self.error is not None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.error!r})" if self.error else f"Reply({self.status})"


OK: Final = Reply(200)
ACCEPTED: Final = Reply(202)


def service_unavailable(component_id: str) -> Reply:
    return Reply(503, "ServiceUnavailable", f"{component_id} is unavailable (injected fault)")


def throttled(component_id: str, error: str = "ThrottlingException") -> Reply:
    return Reply(429, error, f"Rate exceeded for {component_id}")


class Link:
    """A connection as its source sees it: the target component, the role, its properties."""

    __slots__ = ("source", "target", "role", "properties", "spec", "conditional", "_when")

    def __init__(self, source: Component, target: Component, spec: ConnectionSpec) -> None:
        self.source = source
        self.target = target
        self.role = spec.role
        self.properties = spec.properties
        self.spec = spec
        self._when: Callable[[dict[str, Any]], bool] | None = None
        when = spec.properties.get("when")
        if when:
            from emulator.matching import compile_event_pattern

            self._when = compile_event_pattern(when)
        # False when the link takes every payload (no ``when``): callers can skip asking.
        self.conditional = self._when is not None

    def wants(self, payload: Any) -> bool:
        """Does the ``when`` pattern (if any) match this payload?"""
        if self._when is None:
            return True
        return isinstance(payload, dict) and self._when(payload)

    @property
    def label(self) -> str:
        return f"{self.source.id} -> {self.target.id} ({self.role})"


class Call:
    """One synchronous request in flight; the target answers it with ``reply``.

    ``holder`` is what keeps state on the caller's side between calls, when there is such a
    thing: a Lambda execution environment, which keeps its database connection open. ``repeats``
    is set on an at-least-once second copy: the id of the call whose delivery it repeats.
    """

    __slots__ = ("message", "parent_id", "link", "on_reply", "operation", "holder", "repeats")

    def __init__(
        self,
        message: Message,
        parent_id: str | None,
        link: Link | None,
        on_reply: Callable[[Reply], None],
        operation: str,
        holder: Any = None,
        repeats: str | None = None,
    ) -> None:
        self.message = message
        self.parent_id = parent_id
        self.link = link
        self.on_reply = on_reply
        self.operation = operation
        self.holder = holder
        self.repeats = repeats

    @property
    def delivery(self) -> str | None:
        """The delivery this call makes, as the ledger's duplicates count it: the call's own id, or
        that of the call it repeats."""
        return self.parent_id if self.repeats is None else self.repeats

    def reply(self, reply: Reply) -> None:
        """The target's answer (a method, so that ``kernel.schedule(delay, call.reply, ...)`` works)."""
        self.on_reply(reply)


# Services and test doubles subclass it in plain Python, also when this module is compiled.
@mypyc_attr(allow_interpreted_subclasses=True)
class Component:
    """The base of every emulated component."""

    # Whether callers reach it through an AWS SDK, which retries throttles and 5xx; a database
    # driver or a plain HTTP client does not.
    retried_by_sdk = True

    def __init__(self, sim: Simulation, spec: ComponentSpec, kind: Kind) -> None:
        self.sim = sim
        self.kernel = sim.kernel
        self.id = spec.id
        self.kind = kind
        self.origin = kind.origin
        self.properties: dict[str, Any] = spec.properties
        self.behavior: dict[str, Any] = spec.behavior
        self.rng = sim.random_for(spec.id)
        self.faults = sim.faults_for(spec.id)
        # Finished segments go straight to the run's tracer.
        self.emit = sim.tracer.emit
        self.segment_id = sim.ids.segment_id
        self.outgoing: list[Link] = []
        self.incoming: list[Link] = []
        # Segments started and not yet emitted (a request being served, an invocation running),
        # by id: a run that ends or is cancelled emits them as in progress.
        self.open_segments: dict[str, Segment] = {}
        # X-Ray's namespace for calls to it: "aws" for AWS services, "remote" for anything else.
        self.namespace = "aws" if kind.cloudformation_type else "remote"

    # Lifecycle -------------------------------------------------------------------------
    def connect(self) -> None:
        """Called once every component exists and every link is attached."""

    def start(self) -> None:
        """Called when the run starts (start pollers and timers here)."""

    def finish(self) -> None:
        """Called when the run ends: emit what is still in progress, count what expired."""
        self.emit_open_segments()

    def emit_open_segments(self) -> None:
        """Emit every open segment as X-Ray's in_progress, with its unanswered calls likewise."""
        for segment in self.open_segments.values():
            segment.in_progress = True
            for subsegment in segment.subsegments or ():
                if subsegment.end_time is None:
                    subsegment.in_progress = True
            self.emit(segment)
        self.open_segments.clear()

    # Serving ---------------------------------------------------------------------------
    def operation(self, link: Link | None) -> str:
        """The AWS API operation a caller performs on this component over ``link``."""
        return "Invoke"

    def request(self, call: Call) -> None:
        raise NotImplementedError(f"{self.kind.name} {self.id} cannot be called")

    def refused_by_outage(self, call: Call, now: float) -> bool:
        """True when an ``unavailable`` fault is on at ``now``: the call is then answered 503
        after 1 ms (a refused connection takes no service time) and goes no further."""
        faults = self.faults
        if faults and faults.unavailable(now):
            self.kernel.schedule(0.001, call.reply, service_unavailable(self.id))
            return True
        return False

    # Reporting -------------------------------------------------------------------------
    def metrics(self) -> dict[str, Any]:
        """CloudWatch-named metrics for the summary."""
        return {}

    def gauges(self) -> dict[str, float]:
        """What is happening right now (for live metric samples): in flight, queue depth..."""
        return {}

    def activity(self) -> tuple[int, int, int]:
        """Cumulative (requests, errors, throttles) in this component's own terms (invocations,
        sends, publishes...): live samples turn them into rates per second."""
        return (0, 0, 0)

    def cost_usd(self) -> float:
        return 0.0

    def in_flight(self) -> dict[str, int]:
        """The copies of messages this component holds (one ledger token each), by what is happening
        to them: "waiting", "received", "waiting_for_retry"... Read at the end of a run, for the
        summary's in_flight_at_end; every token the ledger counts is in some component's answer."""
        return {}

    # Helpers for subclasses ------------------------------------------------------------
    def links(self, *roles: str) -> list[Link]:
        return [link for link in self.outgoing if link.role in roles]

    def new_segment(self, message: Message, parent_id: str | None, start: float) -> Segment:
        """A segment of this component in the message's trace. The root segment of a trace keeps
        the payload (and attributes) in its metadata, where the timeline shows it."""
        segment = Segment(message.trace_id, self.segment_id(), self.id, self.origin, EPOCH + start,
                          parent_id=parent_id, annotations={"message_id": message.message_id})
        if parent_id is None:
            segment.metadata = {"message": message_metadata(message)}
        return segment



def message_metadata(message: Message) -> dict[str, Any]:
    """A message's payload and attributes, as segment metadata shows them."""
    data: dict[str, Any] = {"payload": message.payload}
    if message.attributes:
        data["attributes"] = message.attributes
    if message.group_id is not None:
        data["group_id"] = message.group_id
    return data


def mark(part: Segment | Subsegment, reply: Reply, exception_id: str, *, remote: bool = False) -> None:
    """Set X-Ray's error (4xx), throttle (429) or fault (5xx, function error) flags and the cause."""
    if reply.ok:
        return
    if reply.status >= 500 or reply.function_error:
        part.fault = True
    else:
        part.error = True
        if reply.throttled:
            part.throttle = True
    part.cause = cause(reply.error or "Error", reply.message, exception_id, remote=remote)


# The AWS SDKs' standard retry mode: 3 attempts, exponential backoff with full jitter from
# 1 s, capped at 20 s (AWS SDKs and Tools reference guide, "Retry behavior").
SDK_MAX_ATTEMPTS: Final = 3
SDK_MAX_BACKOFF_S: Final = 20.0
# Answers handed on to waiting callers as nested calls, at most: a failure that ends a chain of
# synchronous calls (a function calling itself until throttled) goes back up the chain at one
# instant, and past this depth each step is scheduled at that same instant instead of nesting
# deeper, so a chain of any length unwinds without exhausting Python's stack. Counted, not measured
# on the stack, so the compiled and interpreted builds schedule alike.
MAX_NESTED_REPLIES: Final = 100
_RETRYABLE_STATUS: Final = frozenset({429, 500, 502, 503, 504})


def sdk_retryable(reply: Reply) -> bool:
    """Would the AWS SDK retry this answer? Throttles and server errors, not function errors."""
    return reply.status in _RETRYABLE_STATUS or (reply.status >= 400 and reply.error in THROTTLING_ERRORS)


class PendingCall(Call):
    """A traced call waiting for its answer, retried the AWS SDK's way when that applies.

    It is the ``Call`` the target sees, sent again as it is for each retry: a class rather than a
    closure, because a closure that reschedules itself is a reference cycle, and cycles on the hot
    path leave every object they reach to the cyclic garbage collector.
    """

    __slots__ = ("caller", "subsegment", "sdk_retries", "attempts")

    def __init__(self, caller: Component, link: Link, message: Message, on_reply: Callable[[Reply], None],
                 subsegment: Subsegment, operation: str, holder: Any, sdk_retries: bool,
                 repeats: str | None = None) -> None:
        super().__init__(message, subsegment.id, link, on_reply, operation, holder, repeats)
        self.caller = caller
        self.subsegment = subsegment
        self.sdk_retries = sdk_retries
        self.attempts = 0

    def send(self) -> None:
        """Send it again (the first attempt is sent by ``call``)."""
        assert self.link is not None
        self.link.target.request(self)

    def reply(self, reply: Reply) -> None:
        attempts = self.attempts = self.attempts + 1
        caller = self.caller
        subsegment = self.subsegment
        if not reply.ok:
            if self.sdk_retries and attempts < SDK_MAX_ATTEMPTS and sdk_retryable(reply):
                backoff = caller.rng.uniform(0.0, min(SDK_MAX_BACKOFF_S, 2.0 ** (attempts - 1)))
                caller.kernel.schedule(backoff, self.send)
                return
            mark(subsegment, reply, caller.segment_id(), remote=True)
        subsegment.end_time = EPOCH + caller.kernel.now
        if attempts > 1:
            assert subsegment.aws is not None
            subsegment.aws["retries"] = attempts - 1
        sim = caller.sim
        if sim.nested_replies >= MAX_NESTED_REPLIES:
            caller.kernel.schedule(0.0, self.on_reply, reply)
            return
        sim.nested_replies += 1
        self.on_reply(reply)
        sim.nested_replies -= 1


def call(
    caller: Component,
    segment: Segment,
    link: Link,
    message: Message,
    on_reply: Callable[[Reply], None],
    *,
    sdk_retries: bool = True,
    holder: Any = None,
    repeats: str | None = None,
) -> Subsegment:
    """Call ``link.target`` from inside ``segment``; record it as a subsegment; answer ``on_reply``.

    With ``sdk_retries`` the call retries throttles and 5xx the way the AWS SDK does, and
    the subsegment counts them in ``aws.retries`` as the X-Ray SDK does. ``repeats`` (an
    at-least-once second copy) is also annotated on the subsegment.
    """
    target = link.target
    subsegment, operation = call_subsegment(caller, segment, link)
    if repeats is not None:
        subsegment.annotations = {"repeats": repeats}
    target.request(PendingCall(caller, link, message, on_reply, subsegment, operation, holder,
                               sdk_retries and target.retried_by_sdk, repeats))
    return subsegment


def call_subsegment(caller: Component, segment: Segment, link: Link) -> tuple[Subsegment, str]:
    """The subsegment that records a call over ``link``, added to ``segment``, and the AWS operation
    it performs (X-Ray's namespace and ``aws.operation``); the callee's segment takes its id as parent."""
    target = link.target
    operation = target.operation(link)
    subsegment = Subsegment(caller.segment_id(), target.id, EPOCH + caller.kernel.now,
                            namespace=target.namespace, aws={"operation": operation})
    # Segment.add written out: the Struct's method runs as Python, this runs compiled.
    subsegments = segment.subsegments
    if subsegments is None:
        segment.subsegments = [subsegment]
    else:
        subsegments.append(subsegment)
    return subsegment, operation
