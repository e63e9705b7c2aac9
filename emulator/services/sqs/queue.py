"""The SQS queue at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emulator.definitions import Kind
from emulator.distributions import Duration
from emulator.kernel import Deadline, Deadlines
from emulator.messages import COMPLETED, DEAD_LETTERED, LOST, Message
from emulator.pricing import SQS_FIFO_PER_REQUEST, SQS_STANDARD_PER_REQUEST
from emulator.services.base import Call, Component, Link, Reply, throttled
from emulator.services.sqs.retention import Retention
from emulator.services.sqs.stored import (
    DELAYED,
    GONE,
    IN_FLIGHT,
    VISIBLE,
    Deduplication,
    Delivery,
    Group,
    Stored,
    TokenBucket,
    chunks,
)
from emulator.tracing import EPOCH

if TYPE_CHECKING:
    from emulator.simulation import Simulation
    from emulator.topology import ComponentSpec

ACCOUNT_ID: Final = "123456789012"
REGION: Final = "us-east-1"
# What one receive may hand out: ReceiveMessage returns 10, but an event source mapping gathers
# batches of up to 10,000 from standard queues and knows its own limits.
MAX_RECEIVE_MESSAGES: Final = 10_000
RECEIVE_MESSAGES_PER_CALL: Final = 10
FIFO_CALLS_PER_SECOND: Final = 300.0
MAX_VISIBILITY_TIMEOUT_S: Final = 43_200.0


class Queue(Component):
    """An SQS queue: SendMessage from any caller; receive, delete and change_visibility for its poller."""

    def __init__(self, sim: Simulation, spec: ComponentSpec, kind: Kind) -> None:
        super().__init__(sim, spec, kind)
        properties = self.properties
        self._fifo = bool(properties["FifoQueue"])
        self.visibility_timeout = float(properties["VisibilityTimeout"])
        self._visibility_deadlines = Deadlines(self.kernel, self.visibility_timeout, self._visibility_expired)
        self.retention_period = float(properties["MessageRetentionPeriod"])
        self.delay_seconds = float(properties["DelaySeconds"])
        # Long polling is the poller's business; the queue only says how long a receive may wait.
        self.receive_wait_time = float(properties["ReceiveMessageWaitTimeSeconds"])
        self.content_based_deduplication = bool(properties["ContentBasedDeduplication"])
        self.deduplicate_per_group = properties["DeduplicationScope"] == "messageGroup"
        per_queue = self._fifo and properties["FifoThroughputLimit"] == "perQueue"
        self._send_rate = TokenBucket(FIFO_CALLS_PER_SECOND) if per_queue else None
        self.send_latency = Duration.from_spec(self.behavior["send_ms"])
        self.duplicate_delivery_rate = float(self.behavior["duplicate_delivery_rate"]) if not self._fifo else 0.0
        self.queue_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{self.id}"
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{self.id}"
        # Shared by every standard-queue dwell segment: segments are never changed once emitted.
        self._aws: dict[str, Any] = {"operation": "ReceiveMessage", "queue_url": self.queue_url}
        self.dead_letter_queue: Queue | None = None
        self.max_receive_count = 0
        self._init_state()

    def _init_state(self) -> None:
        self._sequence = 0
        self._receipts_issued = 0
        self._stored: dict[int, Stored] = {}  # by sequence: arrival order
        self._receipts: dict[int, Stored] = {}  # receipts still able to delete
        self._counts = [0, 0, 0, 0]  # per state
        # Standard queues hand out visible messages in sequence (send) order. Sends arrive in that
        # order and wait in a deque; the few that come back from flight, older than messages already
        # waiting, wait in a heap beside it. (One heap for all would pay log n per receive, and keep a
        # tuple per waiting message for the garbage collector to scan, to sort what is mostly sorted.)
        self._visible_in_order: deque[Stored] = deque()
        self._visible_returned: list[tuple[int, Stored]] = []  # a heap by sequence
        self._groups: dict[str, Group] = {}
        self._available_groups: list[tuple[int, int, Group]] = []  # FIFO: (head sequence, tie, group)
        self._group_pushes = itertools.count()
        self._deduplication = Deduplication(self.deduplicate_per_group)
        self._retention = Retention(self.kernel, self._stored, self._expire_waiting)
        self._waiters: list[Callable[[], None]] = []
        # A standard DLQ stores copies with their original sent time, out of arrival order.
        self._sent_out_of_order = False
        self.messages_sent = self.messages_received = self.messages_deleted = 0
        self.empty_receives = self.deduplicated_sends = 0
        self.throttled_sends = self.refused_sends = 0
        self.messages_expired = self.moved_to_dead_letter_queue = 0
        self.billed_requests = 0
        self.oldest_age_s = 0.0

    def connect(self) -> None:
        redrive = self.links("dead_letter")
        if redrive and isinstance(redrive[0].target, Queue):
            self.dead_letter_queue = redrive[0].target
            self.max_receive_count = int(redrive[0].properties["maxReceiveCount"])

    # The consumer's view ------------------------------------------------------------------
    @property
    def is_fifo(self) -> bool:
        return self._fifo

    @property
    def visible_count(self) -> int:
        return self._counts[VISIBLE]

    @property
    def in_flight_count(self) -> int:
        return self._counts[IN_FLIGHT]

    # Producer side: SendMessage -----------------------------------------------------------
    def operation(self, link: Link | None) -> str:
        return "SendMessage"

    def request(self, call: Call) -> None:
        now = self.kernel.now
        if self.refused_by_outage(call, now):
            return
        faults = self.faults
        latency = self.send_latency.sample(self.rng) / 1000.0
        if faults:
            latency += faults.extra_ms(now) / 1000.0
        message = call.message
        # Only an injected fault or a FIFO queue's rules refuse a send.
        refusal = self._refusal(message, now) if faults or self._fifo else None
        if refusal is not None:
            if refusal.throttled:
                self.throttled_sends += 1
            else:
                self.refused_sends += 1
            self.kernel.schedule(latency, call.reply, refusal)
            return
        self.billed_requests += chunks(message.size_bytes)
        # Stored as the send arrives, so FIFO order is the order sends reach the queue; the answer
        # then takes send_ms to get back to the caller.
        message_id = self._deduplication.earlier_send(message, now) if self._fifo else None
        if message_id is not None:
            self.deduplicated_sends += 1
        else:
            message_id = message.message_id
            self._accept(message, now, call.parent_id, call.delivery)
        self.kernel.schedule(latency, call.reply, Reply(200, payload={"MessageId": message_id}))

    def _refusal(self, message: Message, now: float) -> Reply | None:
        """Why this send is refused (throttled, invalid, failed), or None to accept it."""
        faults = self.faults
        if faults and faults.throttled(now):
            return throttled(self.id)
        if self._fifo:
            if self._send_rate is not None and not self._send_rate.take(now):
                return throttled(self.id)
            if message.group_id is None:
                return Reply(400, "MissingParameter", "The request must contain the parameter MessageGroupId.")
            if message.deduplication_id is None and not self.content_based_deduplication:
                return Reply(400, "InvalidParameterValue", "The queue should either have ContentBasedDeduplication "
                             "enabled or MessageDeduplicationId provided explicitly")
        if faults and self.rng.random() < faults.error_rate(now, 0.0):
            return Reply(500, "InternalError", f"We encountered an internal error in {self.id} (injected fault)")
        return None

    def _accept(self, message: Message, now: float, parent_id: str | None, delivery: str | None) -> None:
        if message.tracked:
            self.sim.ledger.hold(message.record)
        self.messages_sent += 1
        self._store(message.copy(sent_at=now), now, parent_id, delivery, self.delay_seconds)

    def redrive_in(self, message: Message, now: float, parent_id: str | None, delivery: str | None) -> None:
        """Take a message moved here by a source queue's redrive policy; the copy holds no token, and
        is still the delivery that sent it to the source queue."""
        if self._fifo:
            copy = message.copy(sent_at=now, tracked=False)
        else:
            copy = message.copy(tracked=False)
            self._sent_out_of_order = True
        self._store(copy, now, parent_id, delivery, 0.0)

    def _store(self, message: Message, now: float, parent_id: str | None, delivery: str | None,
               delay: float) -> Stored:
        self._sequence += 1
        group: Group | None = None
        if self._fifo:
            group_id = message.group_id or ""
            group = self._groups.get(group_id)
            if group is None:
                group = self._groups[group_id] = Group(group_id)
        stored = Stored(message, self._sequence, message.sent_at + self.retention_period, parent_id, delivery, group)
        self._stored[stored.sequence] = stored
        self._retention.kept(stored)
        self._counts[DELAYED] += 1
        if delay > 0:
            self.kernel.schedule(delay, self._end_delay, stored)
        else:
            self._make_visible(stored, now)
        return stored

    def _end_delay(self, stored: Stored) -> None:
        if stored.state == DELAYED:
            now = self.kernel.now
            if now >= stored.expires_at:
                self._expire(stored)
            else:
                self._make_visible(stored, now)

    # Visibility ---------------------------------------------------------------------------
    def _set_state(self, stored: Stored, state: int) -> None:
        counts = self._counts
        counts[stored.state] -= 1
        counts[state] += 1
        stored.state = state

    def _make_visible(self, stored: Stored, now: float) -> None:
        """A stay in the queue starts: the message can be received."""
        self._set_state(stored, VISIBLE)
        stored.stay_start = now
        group = stored.group
        if group is None:
            in_order = self._visible_in_order
            if not in_order or in_order[-1].sequence < stored.sequence:
                in_order.append(stored)
            else:
                heapq.heappush(self._visible_returned, (stored.sequence, stored))
            if self._waiters:
                self._notify()
            return
        waiting = group.waiting
        if not waiting or waiting[-1].sequence < stored.sequence:
            waiting.append(stored)
        else:
            # Back from flight: before the group's later messages, as it was sent before them.
            position = 0
            while waiting[position].sequence < stored.sequence:
                position += 1
            waiting.insert(position, stored)
        if group.in_flight == 0 and waiting[0] is stored:
            self._offer_group(group)

    def _offer_group(self, group: Group) -> None:
        """A FIFO group can be received from (no message in flight): queue it by its oldest message."""
        heapq.heappush(self._available_groups, (group.waiting[0].sequence, next(self._group_pushes), group))
        self._notify()

    def _group_settled(self, group: Group) -> None:
        """One of the group's messages left flight: the group may be receivable again, or be gone."""
        group.in_flight -= 1
        if group.in_flight == 0:
            if group.waiting:
                self._offer_group(group)
            elif self._groups.get(group.id) is group:
                del self._groups[group.id]

    def _start_visibility_timer(self, stored: Stored, timeout_s: float) -> None:
        if stored.timer is not None:
            self._cancel_visibility_timer(stored)
        stored.visibility_timeout = timeout_s
        if timeout_s == self.visibility_timeout:
            stored.timer = self._visibility_deadlines.start(stored)  # the common case: in order
        else:
            stored.timer = self.kernel.schedule(timeout_s, self._visibility_expired, stored)

    def _cancel_visibility_timer(self, stored: Stored) -> None:
        timer = stored.timer
        if timer is not None:
            if isinstance(timer, Deadline):
                timer.cancel()
            else:
                self.kernel.cancel(timer)
            stored.timer = None

    def _visibility_expired(self, stored: Stored) -> None:
        stored.timer = None
        if stored.state == IN_FLIGHT:
            stored.timed_out = True
            self._return(stored)

    def _return(self, stored: Stored) -> None:
        """The visibility timeout ended without a delete: visible again (or gone, if expired meanwhile)."""
        now = self.kernel.now
        if now >= stored.expires_at:
            self._expire(stored)
        else:
            self._make_visible(stored, now)
        if stored.group is not None:
            self._group_settled(stored.group)

    def change_visibility(self, delivery: Delivery, timeout_s: float) -> None:
        """ChangeMessageVisibility: visible again ``timeout_s`` from now (0 = at once)."""
        stored = self._receipts.get(delivery.receipt)
        if stored is None or stored.state != IN_FLIGHT:
            return
        self.billed_requests += 1
        if timeout_s <= 0:
            self._cancel_visibility_timer(stored)
            self._return(stored)
        else:
            self._start_visibility_timer(stored, min(timeout_s, MAX_VISIBILITY_TIMEOUT_S))

    def wait_for_messages(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once, as soon as a receive could return a message (at once if it can now)."""
        if self._receivable():
            self.kernel.schedule(0, callback)
        else:
            self._waiters.append(callback)

    def _receivable(self) -> bool:
        if not self._fifo:
            return self._counts[VISIBLE] > 0
        heap = self._available_groups
        while heap and not self._offer_is_current(heap[0]):
            heapq.heappop(heap)
        return bool(heap)

    @staticmethod
    def _offer_is_current(offer: tuple[int, int, Group]) -> bool:
        group = offer[2]
        return group.in_flight == 0 and bool(group.waiting) and group.waiting[0].sequence == offer[0]

    def _notify(self) -> None:
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for callback in waiters:
                self.kernel.schedule(0, callback)

    # Consumer side: ReceiveMessage, DeleteMessage -----------------------------------------
    def receive(self, max_messages: int) -> list[Delivery]:
        """ReceiveMessage now, without waiting: up to ``max_messages`` deliveries, [] when none is visible."""
        if max_messages < 1:
            raise ValueError(f"a receive asks for 1 to {MAX_RECEIVE_MESSAGES} messages, got {max_messages}")
        limit = min(max_messages, MAX_RECEIVE_MESSAGES)
        now = self.kernel.now
        deliveries: list[Delivery] = []
        if self._fifo:
            self._receive_fifo(limit, now, deliveries)
        else:
            self._receive_standard(limit, now, deliveries)
        count = len(deliveries)
        if count == 0:
            self.empty_receives += 1
            self.billed_requests += 1
            return deliveries
        self.messages_received += count
        size = sum(d.message.size_bytes for d in deliveries)
        self.billed_requests += max(-(-count // RECEIVE_MESSAGES_PER_CALL), chunks(size))
        return deliveries

    def _receive_standard(self, limit: int, now: float, deliveries: list[Delivery]) -> None:
        in_order, returned = self._visible_in_order, self._visible_returned
        rate = self.duplicate_delivery_rate
        duplicates: list[Stored] = []
        while len(deliveries) < limit:
            # The first sent of the two heads.
            if returned and (not in_order or returned[0][0] < in_order[0].sequence):
                stored = heapq.heappop(returned)[1]
            elif in_order:
                stored = in_order.popleft()
            else:
                break
            if stored.state != VISIBLE:
                continue  # deleted while visible: its entry is dropped here
            delivery = self._take(stored, now)
            if delivery is not None:
                deliveries.append(delivery)
                if rate and self.rng.random() < rate:
                    duplicates.append(self._duplicate(stored, delivery))
        # The copies left behind become visible after this receive, so it never returns both.
        for copy in duplicates:
            self._make_visible(copy, now)

    def _receive_fifo(self, limit: int, now: float, deliveries: list[Delivery]) -> None:
        heap = self._available_groups
        while heap and len(deliveries) < limit:
            offer = heapq.heappop(heap)
            if not self._offer_is_current(offer):
                continue
            group = offer[2]
            waiting = group.waiting
            while waiting and len(deliveries) < limit:
                delivery = self._take(waiting.popleft(), now)
                if delivery is not None:
                    deliveries.append(delivery)
            if not waiting and group.in_flight == 0 and self._groups.get(group.id) is group:
                del self._groups[group.id]

    def _take(self, stored: Stored, now: float) -> Delivery | None:
        """A receive reached this visible message: deliver it, or find it expired or due for the DLQ."""
        if now >= stored.expires_at:
            self._expire(stored)
            return None
        if self.max_receive_count and stored.receive_count >= self.max_receive_count:
            self._move_to_dead_letter_queue(stored, now)
            return None
        return self._deliver(stored, now)

    def _deliver(self, stored: Stored, now: float) -> Delivery:
        receive_count = stored.receive_count + 1
        stored.receive_count = receive_count
        segment_id = self._end_stay(stored, now, "received", receive_count)
        self._set_state(stored, IN_FLIGHT)
        if stored.receipt:
            del self._receipts[stored.receipt]  # the previous receipt handle no longer deletes
        self._receipts_issued += 1
        receipt = stored.receipt = self._receipts_issued
        self._receipts[receipt] = stored
        self._start_visibility_timer(stored, self.visibility_timeout)
        if stored.group is not None:
            stored.group.in_flight += 1
        age = now - stored.sent_at
        if age > self.oldest_age_s:
            self.oldest_age_s = age
        return Delivery(stored.message, self, receipt, receive_count, now, segment_id, stored.delivery)

    def _duplicate(self, stored: Stored, delivery: Delivery) -> Stored:
        """At-least-once delivery: a second copy stays behind, as a server that missed this receive."""
        message = stored.message.copy()
        if message.tracked:
            self.sim.ledger.hold(message.record)
        self._sequence += 1
        # The same delivery as the one it copies: handled again, it is a duplicate (see the ledger).
        copy = Stored(message, self._sequence, stored.expires_at, delivery.segment_id, stored.delivery, None)
        copy.receive_count = delivery.receive_count - 1
        copy.first_stay = False
        self._stored[copy.sequence] = copy
        self._retention.kept(copy)
        self._counts[DELAYED] += 1
        return copy

    def delete(self, delivery: Delivery) -> bool:
        """DeleteMessage with the delivery's receipt; False when it is stale (re-received, moved, gone)."""
        self.billed_requests += 1
        stored = self._receipts.get(delivery.receipt)
        if stored is None or delivery.queue is not self:
            return False
        now = self.kernel.now
        if stored.state == VISIBLE:
            # Visible again but not yet re-received: the receipt still deletes it.
            self._end_stay(stored, now, "deleted", stored.receive_count)
            if stored.group is not None:
                self._remove_waiting(stored)
        in_flight = stored.state == IN_FLIGHT
        self._forget(stored)
        if in_flight and stored.group is not None:
            self._group_settled(stored.group)
        self.messages_deleted += 1
        message = stored.message
        if message.tracked:
            self.sim.ledger.release(message.record, COMPLETED, now)
        return True

    def _remove_waiting(self, stored: Stored) -> None:
        group = stored.group
        assert group is not None
        was_head = group.waiting[0] is stored
        group.waiting.remove(stored)
        if group.in_flight == 0:
            if not group.waiting:
                self._groups.pop(group.id, None)
            elif was_head:
                self._offer_group(group)

    def _forget(self, stored: Stored) -> None:
        if stored.timer is not None:
            self._cancel_visibility_timer(stored)
        self._set_state(stored, GONE)
        stored_copies = self._stored
        del stored_copies[stored.sequence]
        if not stored_copies:
            self._retention.emptied(self.sim.deadline)
        if stored.receipt:
            self._receipts.pop(stored.receipt, None)

    # Leaving the queue otherwise: redrive, expiry -----------------------------------------
    def _move_to_dead_letter_queue(self, stored: Stored, now: float) -> None:
        assert self.dead_letter_queue is not None
        redrive_policy = {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": self.max_receive_count}
        segment_id = self._end_stay(stored, now, "dead_lettered", stored.receive_count,
                                    {"RedrivePolicy": redrive_policy})
        self._forget(stored)
        self.moved_to_dead_letter_queue += 1
        self.dead_letter_queue.redrive_in(stored.message, now, segment_id, stored.delivery)
        message = stored.message
        if message.tracked:
            self.sim.ledger.release(message.record, DEAD_LETTERED, now)

    def _expire_waiting(self, stored: Stored) -> None:
        """Its retention ended while it waited in the queue (delayed or visible): gone, at once."""
        if stored.group is not None and stored.state == VISIBLE:
            self._remove_waiting(stored)
        self._expire(stored)
        # What a receive would have skipped: let go of it now, so expired copies are not kept.
        in_order, returned = self._visible_in_order, self._visible_returned
        while in_order and in_order[0].state == GONE:
            in_order.popleft()
        while returned and returned[0][1].state == GONE:
            heapq.heappop(returned)

    def _expire(self, stored: Stored) -> None:
        """Past MessageRetentionPeriod: the message is gone (lost), as of its expiry time."""
        expired_at = stored.expires_at
        # A message in flight was not in the queue: its expiry is a mark, not a stay.
        start = stored.stay_start if stored.state in (VISIBLE, DELAYED) else expired_at
        stored.stay_start = start
        end = max(start, expired_at)
        self._end_stay(stored, end, "expired", stored.receive_count,
                       {"MessageRetentionPeriod": _seconds(self.retention_period)})
        self._forget(stored)
        self.messages_expired += 1
        message = stored.message
        if message.tracked:
            self.sim.ledger.release(message.record, LOST, end)

    # Tracing ------------------------------------------------------------------------------
    def _end_stay(self, stored: Stored, end: float | None, outcome: str, receive_count: int,
                  facts: dict[str, Any] | None = None) -> str:
        """Emit the dwell segment of the stay that ends now (``end`` None: still in the queue).

        Its ``metadata.sqs`` has, in the queue attributes' names, what a reader needs to tell what
        happened: ``SentTimestamp`` on the first stay; ``VisibilityTimeout`` (seconds) on a stay that
        began because a receive's visibility timeout ran out without a delete; ``RedrivePolicy`` on
        the stay that ended with the move to the dead-letter queue; ``MessageRetentionPeriod`` on
        one that ended when the message expired (``facts``, from the caller)."""
        message = stored.message
        segment = self.new_segment(message, stored.parent_id, stored.stay_start)
        if end is None:
            segment.in_progress = True
        else:
            segment.end_time = EPOCH + end
        if self._fifo:
            segment.aws = {"operation": "ReceiveMessage", "queue_url": self.queue_url,
                           "message_group_id": message.group_id}
        else:
            segment.aws = self._aws
        annotations = segment.annotations
        annotations["receive_count"] = receive_count
        annotations["outcome"] = outcome
        metadata: dict[str, Any] | None = None
        if stored.first_stay:
            stored.first_stay = False
            metadata = {"sqs": {"SentTimestamp": str(int((EPOCH + stored.sent_at) * 1000)),
                                "MessageAttributes": message.attributes},
                        "message": {"payload": message.payload}}
        if stored.timed_out or facts:
            if metadata is None:
                metadata = {"sqs": {}}
            sqs = metadata["sqs"]
            if stored.timed_out:
                stored.timed_out = False
                sqs["VisibilityTimeout"] = _seconds(stored.visibility_timeout)
            if facts:
                sqs.update(facts)
        if metadata is not None:
            segment.metadata = metadata
        self.emit(segment)
        stored.parent_id = segment.id
        return segment.id

    # End of the run and reporting ---------------------------------------------------------
    def finish(self) -> None:
        """A copy in flight past its retention expires now (waiting ones expired at their time); what
        is still waiting gets an in-progress dwell segment."""
        now = self.kernel.now
        for stored in list(self._stored.values()):
            if now >= stored.expires_at:
                self._expire(stored)
                continue
            age = now - stored.sent_at
            if age > self.oldest_age_s:
                self.oldest_age_s = age
            if stored.state != IN_FLIGHT:  # a message in flight is the consumer's to trace
                self._end_stay(stored, None, "in_queue", stored.receive_count)

    def metrics(self) -> dict[str, Any]:
        counts = self._counts
        metrics: dict[str, Any] = {
            "NumberOfMessagesSent": self.messages_sent,
            "NumberOfMessagesReceived": self.messages_received,
            "NumberOfMessagesDeleted": self.messages_deleted,
            "NumberOfEmptyReceives": self.empty_receives,
            "ApproximateNumberOfMessagesVisible": counts[VISIBLE],
            "ApproximateNumberOfMessagesNotVisible": counts[IN_FLIGHT],
            "ApproximateNumberOfMessagesDelayed": counts[DELAYED],
            "ApproximateAgeOfOldestMessage": round(self.oldest_age_s),
            "MessagesExpired": self.messages_expired,
            "MessagesMovedToDeadLetterQueue": self.moved_to_dead_letter_queue,
        }
        if self._fifo:
            metrics["NumberOfDeduplicatedSentMessages"] = self.deduplicated_sends
        return metrics

    def in_flight(self) -> dict[str, int]:
        """Copies waiting their DelaySeconds ("delayed"), visible ("waiting") or received by a consumer
        and not yet deleted ("received"); dead letters hold no token and are not counted."""
        counts = [0, 0, 0, 0]
        for stored in self._stored.values():
            if stored.message.tracked:
                counts[stored.state] += 1
        states = {"delayed": counts[DELAYED], "waiting": counts[VISIBLE], "received": counts[IN_FLIGHT]}
        return {state: count for state, count in states.items() if count}

    def gauges(self) -> dict[str, float]:
        return {"visible": self._counts[VISIBLE], "in_flight": self._counts[IN_FLIGHT],
                "oldest_age_s": self._oldest_stored_age()}

    def _oldest_stored_age(self) -> float:
        if not self._stored:
            return 0.0
        if self._sent_out_of_order:
            oldest = min(stored.sent_at for stored in self._stored.values())
        else:
            oldest = next(iter(self._stored.values())).sent_at
        return max(0.0, self.kernel.now - oldest)

    def activity(self) -> tuple[int, int, int]:
        sends = self.messages_sent + self.deduplicated_sends + self.refused_sends + self.throttled_sends
        return (sends, self.refused_sends, self.throttled_sends)

    def cost_usd(self) -> float:
        return self.billed_requests * (SQS_FIFO_PER_REQUEST if self._fifo else SQS_STANDARD_PER_REQUEST)


def _seconds(value: float) -> int | float:
    """A duration attribute as SQS writes it: whole seconds as an integer."""
    return int(value) if value.is_integer() else value
