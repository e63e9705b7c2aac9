"""Lambda's recursive loop detection: the same event stopped after 16 invocations of a function.

Rules ("Use Lambda recursive loop detection to prevent infinite loops", Lambda developer guide, and
the July 2023 announcement "AWS Lambda now detects and stops recursive loops"): Lambda follows an
event as a function sends it on through SQS, SNS or an asynchronous Lambda invocation; when the
same event has invoked a function 16 times, Lambda stops the next invocation instead of running
it, sends the event where failed events go (an asynchronous invocation's on-failure destination
or dead-letter queue; for an SQS event source the message stays in the queue, whose redrive
policy moves it to its dead-letter queue), and reports it (the CloudWatch metric
RecursiveInvocationsDropped). A function whose ``RecursiveLoop`` is ``Allow`` is never stopped.
Retries of an invocation (async retries, an SQS redelivery) are not new rounds of the loop.

Only a function on a cycle of the topology can see an event come back, so only those count (the
others pay nothing). The count is kept per message (its record, shared by every copy of it) and
forgotten once the message is finished, so memory follows what is in flight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.messages import Message, MessageRecord
from emulator.services.base import Component, Reply, mark
from emulator.tracing import EPOCH

if TYPE_CHECKING:
    from emulator.services.sqs.stored import Delivery

RECURSION_LIMIT = 16
STOPPED = Reply(400, "RecursiveInvocationException", "Lambda has detected the function being invoked in a "
                "recursive loop with other AWS resources and stopped the invocation")


def on_a_cycle(function: Component) -> bool:
    """Can a message the function sends on come back to it through the topology's connections?"""
    seen: set[str] = set()
    stack = [link.target for link in function.outgoing]
    while stack:
        component = stack.pop()
        if component is function:
            return True
        if component.id in seen:
            continue
        seen.add(component.id)
        stack.extend(link.target for link in component.outgoing)
    return False


class LoopGuard:
    """The invocations of one function by each message in flight, and the ones it stopped."""

    def __init__(self, function: Component) -> None:
        self.function = function
        self.invocations: dict[MessageRecord, int] = {}
        self.dropped = 0
        self._sweep_at = 1024

    def stops(self, message: Message) -> bool:
        """Count a new invocation by ``message``; True when it is one too many and must not run."""
        record = message.record
        count = self.invocations.get(record, 0) + 1
        if count > RECURSION_LIMIT:
            self.invocations[record] = RECURSION_LIMIT + 1
            self.dropped += 1
            return True
        self.invocations[record] = count
        if len(self.invocations) >= self._sweep_at:
            self._sweep()
        return False

    def stopped_before(self, message: Message) -> bool:
        """A redelivery of a message already stopped is stopped again (and counted again)."""
        if self.invocations.get(message.record, 0) > RECURSION_LIMIT:
            self.dropped += 1
            return True
        return False

    def admit(self, deliveries: list[Delivery]) -> list[Delivery]:
        """The SQS deliveries the function may be invoked with; the others stay in the queue."""
        admitted = []
        for delivery in deliveries:
            message = delivery.message
            first = delivery.receive_count == 1
            if (first and self.stops(message)) or (not first and self.stopped_before(message)):
                self.report(message, delivery.segment_id)
            else:
                admitted.append(delivery)
        return admitted

    def report(self, message: Message, parent_id: str | None) -> None:
        """A segment of the Lambda service that shows the stopped invocation in the message's trace."""
        function = self.function
        now = function.kernel.now
        segment = function.new_segment(message, parent_id, now)
        segment.origin = "AWS::Lambda"
        segment.end_time = EPOCH + now
        segment.annotations["outcome"] = "recursive_loop_stopped"
        segment.annotations["invocations"] = RECURSION_LIMIT
        mark(segment, STOPPED, function.segment_id())
        function.emit(segment)

    def _sweep(self) -> None:
        finished = [record for record in self.invocations if record.finished_at is not None]
        for record in finished:
            del self.invocations[record]
        self._sweep_at = max(1024, 2 * len(self.invocations))
