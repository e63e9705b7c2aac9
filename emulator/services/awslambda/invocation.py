"""What a function keeps per invocation: environments, records, results, async events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emulator.kernel import Deadline
from emulator.messages import Message
from emulator.services.base import Link, Reply
from emulator.tracing import Segment

if TYPE_CHECKING:
    from emulator.services.awslambda.function import Function


# The account-wide concurrency quota, and what reservations must leave for the other functions.
ACCOUNT_CONCURRENCY = 1000
MINIMUM_UNRESERVED = 100


class Account:
    """The account's concurrency pool, shared by every function without reserved concurrency."""

    def __init__(self, reserved_total: int) -> None:
        self.unreserved_limit = ACCOUNT_CONCURRENCY - reserved_total
        self.unreserved_in_use = 0


class Environment:
    """An execution environment: warm between invocations until Lambda reclaims it."""

    __slots__ = ("last_used", "provisioned", "busy", "idle_timeout_s")

    def __init__(self, last_used: float, provisioned: bool, idle_timeout_s: float) -> None:
        self.last_used = last_used
        self.provisioned = provisioned
        self.busy = False
        self.idle_timeout_s = idle_timeout_s

    def alive(self, now: float) -> bool:
        """Still there (so, for example, its database connection is still open)."""
        return self.provisioned or self.busy or now - self.last_used <= self.idle_timeout_s


class Record:
    """One record of an invocation: a message, where its trace hangs, and what to annotate."""

    __slots__ = ("message", "parent_id", "annotations", "segment", "failed", "show_payload", "asynchronous",
                 "delivery")

    def __init__(self, message: Message, parent_id: str | None, annotations: dict[str, Any],
                 show_payload: bool = False, asynchronous: bool = False, *, delivery: str | None) -> None:
        self.message = message
        self.parent_id = parent_id
        # The delivery it came by (the ledger's duplicates): handled twice, it is counted once more.
        self.delivery = delivery
        self.annotations = annotations
        self.segment: Segment | None = None
        self.failed: Reply | None = None
        # Invoked directly (not from a queue whose segment shows the payload already).
        self.show_payload = show_payload
        # Reached through a queue or Lambda's event queue: the segment links to its producer.
        self.asynchronous = asynchronous


class Result:
    """How an invocation ended. ``reply`` is what the Invoke API answered."""

    __slots__ = ("reply", "records", "batch_item_failures")

    def __init__(self, reply: Reply, records: list[Record], batch_item_failures: list[int] | None = None) -> None:
        self.reply = reply
        self.records = records
        self.batch_item_failures = batch_item_failures

    @property
    def throttled(self) -> bool:
        return self.reply.status == 429

    @property
    def system_error(self) -> bool:
        return self.reply.status >= 500


Done = Callable[[Result], None]


class Invocation:
    """One run of the handler over its records, driven by kernel callbacks."""

    __slots__ = ("function", "records", "done", "report_failures", "started", "invoke_started", "finished",
                 "cold", "init_s", "environment", "calls", "index", "call_index", "failures", "timer",
                 "stop_on_failure")

    def __init__(self, function: Function, records: list[Record], done: Done, report_failures: bool,
                 stop_on_failure: bool) -> None:
        self.function = function
        self.records = records
        self.done = done
        self.report_failures = report_failures
        self.stop_on_failure = stop_on_failure
        self.started = function.kernel.now
        self.invoke_started = self.started
        self.finished = False
        self.cold = False
        self.init_s = 0.0
        self.environment: Environment | None = None
        self.calls: list[Link] = []
        self.index = 0  # the record the handler is on
        self.call_index = 0  # the call it is waiting for, in ``calls``
        self.failures: list[int] = []
        self.timer: Deadline | None = None

    def answered(self, reply: Reply) -> None:
        """The answer to the call out (a method rather than a partial: one object fewer per call)."""
        self.function._answered(self, reply)


# Where an asynchronous event is (indexes into the function's counts), and once its token is given back.
QUEUED: Final = 0
RUNNING: Final = 1
WAITING_FOR_RETRY: Final = 2
SENDING_TO_DESTINATION: Final = 3
GIVEN_BACK: Final = -1
ASYNC_STATE_NAMES: Final = ("queued", "running", "waiting_for_retry", "sending_to_destination")


class AsyncEvent:
    """An event in Lambda's internal queue for asynchronous invocation."""

    __slots__ = ("message", "parent_id", "enqueued_at", "attempts", "throttle_retries", "state", "delivery")

    def __init__(self, message: Message, parent_id: str | None, enqueued_at: float, delivery: str | None) -> None:
        self.message = message
        self.parent_id = parent_id
        self.delivery = delivery
        self.enqueued_at = enqueued_at
        self.attempts = 0
        self.throttle_retries = 0
        self.state = GIVEN_BACK  # until accepted
