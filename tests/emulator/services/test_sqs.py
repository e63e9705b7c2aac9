"""SQS queues: numbers from shared/spec/semantics.md, read from traces and summaries.

The Lambda poller is someone else's module; these tests drive the consumer side by hand, by
scheduling receive/delete/change_visibility calls on the simulation's kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from emulator.ledger import Ledger
from emulator.messages import Message, MessageRecord
from emulator.pricing import SQS_FIFO_PER_REQUEST, SQS_STANDARD_PER_REQUEST
from emulator.problems import Problem
from emulator.services.base import Call, Reply
from emulator.services.sqs import KIND, Delivery, Queue
from emulator.simulation import Simulation
from emulator.topology import check_topology, load_topology
from emulator.tracing import ListTracer, Segment, epoch
from emulator.workload import load_workload
from tests.emulator.scenario import duplicates_in_traces, seconds
from tests.emulator.scenario import run as scenario_run
from tests.emulator.scenario import topology as scenario_topology

INBOX_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/Inbox"


# Building runs -----------------------------------------------------------------------------
def queue(queue_id: str = "Inbox", behavior: dict[str, Any] | None = None, **properties: Any) -> dict[str, Any]:
    """A queue whose SendMessage answers at once (send_ms 0) unless told otherwise."""
    return {"id": queue_id, "kind": "sqs", "properties": properties, "behavior": {"send_ms": 0, **(behavior or {})}}


def fifo_queue(queue_id: str = "Inbox", behavior: dict[str, Any] | None = None, **properties: Any) -> dict[str, Any]:
    return queue(queue_id, behavior, FifoQueue=True, ContentBasedDeduplication=True, **properties)


def redrive(source: str, target: str, max_receive_count: int) -> dict[str, Any]:
    return {"source": source, "target": target, "role": "dead_letter",
            "properties": {"maxReceiveCount": max_receive_count}}


def source(count: int = 1, *, per_second: float = 1.0, start_s: float = 0.0, target: str = "Inbox",
           payload: Any = None, arrival: str = "constant", **extra: Any) -> dict[str, Any]:
    return {"target": target, "rate": {"per_second": per_second, "arrival": arrival}, "count": count,
            "start_s": start_s, "payload": {"n": "$seq"} if payload is None else payload, **extra}


def labelled(group_ids: list[str], spacing_s: float = 0.1) -> list[dict[str, Any]]:
    """One FIFO message per group id, in this order, labelled g1-1, g2-1, g2-2..."""
    seen: dict[str, int] = {}
    sources = []
    for index, group_id in enumerate(group_ids):
        seen[group_id] = seen.get(group_id, 0) + 1
        sources.append(source(start_s=index * spacing_s, group_id=group_id,
                              payload={"label": f"{group_id}-{seen[group_id]}"}))
    return sources


class RecordKeepingLedger(Ledger):
    """A ledger that also keeps every record it accepts (tests look at when each finished)."""

    def __init__(self, records: list[MessageRecord]) -> None:
        super().__init__()
        self.records = records

    def accept(self, message_id: str, trace_id: str, now: float) -> MessageRecord:
        record = super().accept(message_id, trace_id, now)
        self.records.append(record)
        return record


class Run:
    """One simulation driven by hand: consumer steps are callbacks scheduled on the kernel."""

    def __init__(self, components: list[dict[str, Any]], connections: list[dict[str, Any]] | None = None,
                 sources: list[dict[str, Any]] | None = None, *, duration_s: float = 60.0, seed: int = 7,
                 faults: list[dict[str, Any]] | None = None) -> None:
        topology = load_topology({"format": "wiretap.topology/1", "components": components,
                                  "connections": connections or []})
        # For runs that send by hand only: a source that would start when arrivals have stopped.
        silent = [source(start_s=duration_s, target=components[0]["id"])]
        workload = load_workload({"format": "wiretap.workload/1", "seed": seed, "duration_s": duration_s,
                                  "drain_s": 600, "sources": sources or silent, "faults": faults or []}, topology)
        self.tracer = ListTracer()
        self.sim = Simulation(topology, workload, tracer=self.tracer)
        self.kernel = self.sim.kernel
        # Every message accepted, in order: the ledger itself keeps only counters.
        self.records: list[MessageRecord] = []
        self.sim.ledger = RecordKeepingLedger(self.records)
        self.sim.start()

    def queue(self, queue_id: str = "Inbox") -> Queue:
        component = self.sim.components[queue_id]
        assert isinstance(component, Queue)
        return component

    def at(self, time: float, action: Callable[[], Any]) -> None:
        self.kernel.schedule_at(time, action)

    def receive(self, time: float, max_messages: int = 10, queue_id: str = "Inbox") -> list[Delivery]:
        got: list[Delivery] = []
        self.at(time, lambda: got.extend(self.queue(queue_id).receive(max_messages)))
        return got

    def delete(self, time: float, deliveries: list[Delivery], queue_id: str = "Inbox") -> list[bool]:
        results: list[bool] = []
        self.at(time, lambda: results.extend(self.queue(queue_id).delete(d) for d in list(deliveries)))
        return results

    def send(self, time: float, payload: Any, *, group_id: str | None = None, deduplication_id: str | None = None,
             parent_id: str | None = None, queue_id: str = "Inbox") -> list[tuple[float, Reply]]:
        """SendMessage by hand (as a Lambda function would), recording when and what it answered."""
        replies: list[tuple[float, Reply]] = []

        def send() -> None:
            sim, now = self.sim, self.kernel.now
            number = sim.ledger.accepted + sim.ledger.rejected
            record = sim.ledger.accept(f"direct-{number}", sim.ids.trace_id(now), now)
            message = Message(record.message_id, record.trace_id, payload, record, group_id=group_id,
                              deduplication_id=deduplication_id, sent_at=now)

            def answered(reply: Reply) -> None:
                replies.append((self.kernel.now, reply))
                if not reply.ok:
                    sim.ledger.reject(record)
                sim.ledger.release(record, 0, self.kernel.now)

            self.queue(queue_id).request(Call(message, parent_id, None, answered, "SendMessage"))

        self.at(time, send)
        return replies

    def advance(self, until: float) -> None:
        # The run stops by itself when every message is settled; later consumer steps still run.
        while self.kernel.now < until:
            self.kernel.run(until=until)

    def finish(self, at: float) -> dict[str, Any]:
        self.advance(at)
        return self.sim.finish()

    def dwells(self, queue_id: str = "Inbox") -> list[Segment]:
        return [segment for segment in self.tracer.segments if segment.name == queue_id]


def payloads(deliveries: list[Delivery], key: str = "n") -> list[Any]:
    return [delivery.message.payload[key] for delivery in deliveries]


def balanced(messages: dict[str, int]) -> bool:
    settled = messages["completed"] + messages["dead_lettered"] + messages["in_flight"] + messages["lost"]
    return messages["accepted"] == settled


# Sending and receiving ---------------------------------------------------------------------
def test_sent_message_is_received_then_deleted_and_completes() -> None:
    run = Run([queue()], sources=[source()])
    got = run.receive(1.0)
    deleted = run.delete(2.0, got)
    summary = run.finish(100.0)
    assert [(d.receive_count, d.received_at) for d in got] == [(1, 1.0)]
    assert deleted == [True]
    assert summary["messages"]["accepted"] == summary["messages"]["completed"] == 1
    metrics = summary["components"]["Inbox"]
    assert (metrics["NumberOfMessagesSent"], metrics["NumberOfMessagesReceived"], metrics["NumberOfMessagesDeleted"]) \
        == (1, 1, 1)
    assert metrics["ApproximateNumberOfMessagesVisible"] == metrics["ApproximateNumberOfMessagesNotVisible"] == 0
    [dwell] = run.dwells()
    assert (dwell.start_time, dwell.end_time, dwell.origin) == (epoch(0.0), epoch(1.0), "AWS::SQS::Queue")
    assert dwell.annotations == {"message_id": got[0].message.message_id, "receive_count": 1, "outcome": "received"}
    assert dwell.id == got[0].segment_id and dwell.trace_id == got[0].message.trace_id


def test_send_is_answered_after_send_ms_and_the_message_waits_from_its_arrival() -> None:
    run = Run([queue(behavior={"send_ms": 20})])
    replies = run.send(1.0, {"n": 1})
    got = run.receive(2.0)
    run.finish(10.0)
    [(answered_at, reply)] = replies
    assert answered_at == pytest.approx(1.020) and reply.status == 200
    assert reply.payload == {"MessageId": got[0].message.message_id}
    assert run.dwells()[0].start_time == epoch(1.0)


def test_first_dwell_segment_hangs_under_the_callers_subsegment() -> None:
    run = Run([queue()])
    run.send(1.0, {"n": 1}, parent_id="53995c3f42cd8ad8")
    run.receive(2.0)
    run.finish(10.0)
    assert run.dwells()[0].parent_id == "53995c3f42cd8ad8"


def test_receive_returns_at_most_the_number_asked_in_arrival_order() -> None:
    run = Run([queue()], sources=[source(25, per_second=100)])
    first = run.receive(1.0, 10)
    rest = run.receive(1.5, 100)
    run.advance(2.0)
    assert payloads(first) == list(range(1, 11))
    assert payloads(rest) == list(range(11, 26))
    with pytest.raises(ValueError):
        run.queue().receive(0)


def test_receive_on_an_empty_queue_counts_an_empty_receive() -> None:
    run = Run([queue()], sources=[source(start_s=5.0)])
    early = run.receive(1.0)
    summary = run.finish(3.0)
    assert early == []
    assert summary["components"]["Inbox"]["NumberOfEmptyReceives"] == 1


# Visibility timeout ------------------------------------------------------------------------
@pytest.mark.parametrize("visibility_timeout", [5, 30, 120])
def test_received_message_is_visible_again_one_visibility_timeout_later(visibility_timeout: int) -> None:
    run = Run([queue(VisibilityTimeout=visibility_timeout)], sources=[source()])
    first = run.receive(1.0)
    too_early = run.receive(1.0 + visibility_timeout - 0.5)
    again = run.receive(1.0 + visibility_timeout + 0.5)
    run.finish(1.0 + visibility_timeout + 1.0)  # before the second visibility timeout ends
    assert [d.receive_count for d in first + too_early + again] == [1, 2]
    first_stay, second_stay = run.dwells()
    assert second_stay.start_time == pytest.approx(first_stay.end_time + visibility_timeout)  # type: ignore[operator]
    assert second_stay.parent_id == first_stay.id
    assert [s.annotations["receive_count"] for s in (first_stay, second_stay)] == [1, 2]


def test_default_visibility_timeout_is_30_seconds() -> None:
    run = Run([queue()], sources=[source()])
    run.receive(1.0)
    before = run.receive(30.9)
    after = run.receive(31.1)
    run.advance(32.0)
    assert (before, payloads(after)) == ([], [1])


def test_deleting_a_message_makes_its_visibility_timer_a_no_op() -> None:
    run = Run([queue()], sources=[source()])
    got = run.receive(1.0)
    run.delete(2.0, got)
    later = run.receive(40.0)
    summary = run.finish(50.0)
    assert later == []
    assert summary["messages"]["completed"] == 1
    assert len(run.dwells()) == 1


def test_delete_with_a_stale_receipt_is_refused() -> None:
    run = Run([queue()], sources=[source()])
    first = run.receive(1.0)
    second = run.receive(32.0)
    results: list[bool] = []
    run.at(33.0, lambda: results.extend([run.queue().delete(first[0]), run.queue().delete(second[0]),
                                         run.queue().delete(second[0])]))
    summary = run.finish(40.0)
    assert results == [False, True, False]
    assert summary["components"]["Inbox"]["NumberOfMessagesDeleted"] == 1
    assert summary["messages"]["completed"] == 1


def test_receipt_still_deletes_after_the_timeout_until_the_message_is_received_again() -> None:
    run = Run([queue()], sources=[source()])
    got = run.receive(1.0)
    deleted = run.delete(40.0, got)
    later = run.receive(41.0)
    run.finish(50.0)
    assert (deleted, later) == ([True], [])
    assert [(s.annotations["outcome"], s.start_time, s.end_time) for s in run.dwells()] == [
        ("received", epoch(0.0), epoch(1.0)), ("deleted", epoch(31.0), epoch(40.0))]


def test_change_visibility_to_zero_makes_the_message_visible_at_once() -> None:
    run = Run([queue()], sources=[source()])
    got = run.receive(1.0)
    run.at(2.0, lambda: run.queue().change_visibility(got[0], 0))
    again = run.receive(2.5)
    run.finish(10.0)
    assert [d.receive_count for d in again] == [2]
    assert run.dwells()[1].start_time == epoch(2.0)


def test_change_visibility_extends_the_timeout_from_now() -> None:
    run = Run([queue()], sources=[source()])
    got = run.receive(1.0)
    run.at(20.0, lambda: run.queue().change_visibility(got[0], 60))
    at_original_end = run.receive(35.0)
    just_before = run.receive(79.5)
    after = run.receive(80.5)
    run.advance(90.0)
    assert (at_original_end, just_before, payloads(after)) == ([], [], [1])


# Dead-letter queue -------------------------------------------------------------------------
@pytest.mark.parametrize("max_receive_count", [1, 3, 5])
def test_message_is_received_max_receive_count_times_then_moved_to_the_dead_letter_queue(
        max_receive_count: int) -> None:
    run = Run([queue(VisibilityTimeout=10), queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", max_receive_count)],
              [source()])
    attempts = [run.receive(1.0 + 11.0 * attempt) for attempt in range(max_receive_count + 1)]
    moved_at = 1.0 + 11.0 * max_receive_count
    summary = run.finish(moved_at + 5.0)
    assert [d.receive_count for got in attempts for d in got] == list(range(1, max_receive_count + 1))
    assert attempts[-1] == []
    assert summary["messages"] | {"duplicate_deliveries": 0} == {
        "accepted": 1, "completed": 0, "dead_lettered": 1, "rejected": 0, "in_flight": 0, "lost": 0,
        "duplicate_deliveries": 0}
    inbox, dead_letters = summary["components"]["Inbox"], summary["components"]["InboxDLQ"]
    assert inbox["MessagesMovedToDeadLetterQueue"] == 1
    assert inbox["NumberOfMessagesReceived"] == max_receive_count
    # A redrive is not a send (CloudWatch's NumberOfMessagesSent excludes it).
    assert (dead_letters["NumberOfMessagesSent"], dead_letters["ApproximateNumberOfMessagesVisible"]) == (0, 1)
    stays = run.dwells()
    assert [s.annotations["outcome"] for s in stays] == ["received"] * max_receive_count + ["dead_lettered"]
    assert stays[-1].end_time == epoch(moved_at)
    assert stays[-1].annotations["receive_count"] == max_receive_count
    [in_dead_letter_queue] = run.dwells("InboxDLQ")
    assert in_dead_letter_queue.parent_id == stays[-1].id
    assert in_dead_letter_queue.trace_id == stays[0].trace_id
    assert in_dead_letter_queue.in_progress and in_dead_letter_queue.end_time is None
    assert in_dead_letter_queue.annotations["outcome"] == "in_queue"
    assert in_dead_letter_queue.start_time == epoch(moved_at)


def test_deleting_a_dead_lettered_copy_releases_nothing() -> None:
    run = Run([queue(VisibilityTimeout=10), queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 1)], [source()])
    run.receive(1.0)
    run.receive(12.0)  # the second attempt moves it
    got = run.receive(13.0, queue_id="InboxDLQ")
    deleted = run.delete(14.0, got, queue_id="InboxDLQ")
    summary = run.finish(20.0)
    assert deleted == [True]
    assert summary["messages"]["dead_lettered"] == 1 and summary["messages"]["completed"] == 0
    assert summary["components"]["InboxDLQ"]["NumberOfMessagesDeleted"] == 1
    assert balanced(summary["messages"])


@pytest.mark.parametrize(("fifo", "expected_age_s"), [(False, 50), (True, 38)])
def test_standard_dead_letter_queue_keeps_the_sent_time_and_fifo_resets_it(fifo: bool, expected_age_s: int) -> None:
    make = fifo_queue if fifo else queue
    extra: dict[str, Any] = {"group_id": "g1"} if fifo else {}
    run = Run([make("Inbox", VisibilityTimeout=10), make("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 1)],
              [source(**extra)])
    run.receive(1.0)
    run.receive(12.0)  # moved at 12 s, sent at 0 s
    summary = run.finish(50.0)
    assert summary["components"]["InboxDLQ"]["ApproximateAgeOfOldestMessage"] == expected_age_s


def test_standard_dead_letter_queue_expires_by_the_original_sent_time() -> None:
    run = Run([queue("Inbox", VisibilityTimeout=10), queue("InboxDLQ", MessageRetentionPeriod=60)],
              [redrive("Inbox", "InboxDLQ", 1)], [source()])
    run.receive(1.0)
    run.receive(12.0)
    summary = run.finish(70.0)
    assert summary["components"]["InboxDLQ"]["MessagesExpired"] == 1
    # The message was settled as dead-lettered; the DLQ's copy expiring loses nothing more.
    assert summary["messages"]["dead_lettered"] == 1 and summary["messages"]["lost"] == 0
    [stay] = run.dwells("InboxDLQ")
    assert (stay.annotations["outcome"], stay.end_time) == ("expired", epoch(60.0))


# FIFO ordering -----------------------------------------------------------------------------
def test_fifo_batch_fills_from_one_group_before_the_next() -> None:
    run = Run([fifo_queue()], sources=labelled(["g1", "g2", "g2", "g3", "g1"]))
    batch = run.receive(1.0, 3)
    rest = run.receive(2.0, 10)
    run.advance(3.0)
    assert payloads(batch, "label") == ["g1-1", "g1-2", "g2-1"]
    assert payloads(rest, "label") == ["g3-1"]  # g1 and g2 have messages in flight


def test_fifo_group_is_blocked_while_a_message_is_in_flight() -> None:
    run = Run([fifo_queue()], sources=labelled(["g1", "g1"]))
    first = run.receive(1.0, 1)
    blocked = run.receive(2.0, 10)
    run.delete(3.0, first)
    after_delete = run.receive(4.0, 10)
    run.advance(5.0)
    assert payloads(first, "label") == ["g1-1"]
    assert blocked == []
    assert payloads(after_delete, "label") == ["g1-2"]


def test_fifo_message_whose_visibility_expires_goes_back_to_the_head_of_its_group() -> None:
    run = Run([fifo_queue()], sources=labelled(["g1", "g1", "g1"]))
    batch = run.receive(1.0, 2)
    run.at(2.0, lambda: run.queue().delete(batch[1]))
    while_first_in_flight = run.receive(20.0)
    again = run.receive(32.0)
    run.advance(33.0)
    assert payloads(batch, "label") == ["g1-1", "g1-2"]
    assert while_first_in_flight == []
    assert [(d.message.payload["label"], d.receive_count) for d in again] == [("g1-1", 2), ("g1-3", 1)]


def test_fifo_groups_are_served_in_the_order_of_their_oldest_message() -> None:
    run = Run([fifo_queue()], sources=labelled(["g3", "g1", "g2", "g1"]))
    got = run.receive(1.0, 10)
    run.advance(2.0)
    assert payloads(got, "label") == ["g3-1", "g1-1", "g1-2", "g2-1"]


def test_fifo_queue_never_delivers_twice() -> None:
    run = Run([fifo_queue(behavior={"duplicate_delivery_rate": 0.5})],
              sources=[source(50, per_second=100, group_id={"$choice": ["a", "b", "c"]})])
    delivered = poll_and_delete(run, every_s=0.2, until_s=5.0)
    summary = run.finish(6.0)
    assert len(delivered) == 50
    assert summary["messages"]["duplicate_deliveries"] == 0


# FIFO sends: validation, deduplication, throughput -----------------------------------------
def test_fifo_send_without_group_id_is_refused_with_missing_parameter() -> None:
    run = Run([fifo_queue()])
    replies = run.send(1.0, {"n": 1})
    summary = run.finish(2.0)
    [(_, reply)] = replies
    assert (reply.status, reply.error, reply.message) == (
        400, "MissingParameter", "The request must contain the parameter MessageGroupId.")
    assert summary["components"]["Inbox"]["NumberOfMessagesSent"] == 0
    assert summary["messages"]["rejected"] == 1


def test_fifo_send_without_deduplication_id_needs_content_based_deduplication() -> None:
    run = Run([queue(FifoQueue=True)])
    without = run.send(1.0, {"n": 1}, group_id="g1")
    with_id = run.send(2.0, {"n": 2}, group_id="g1", deduplication_id="order-2")
    run.finish(3.0)
    [(_, refused)] = without
    assert (refused.status, refused.error) == (400, "InvalidParameterValue")
    assert "ContentBasedDeduplication" in refused.message
    assert with_id[0][1].status == 200


def test_content_based_duplicate_within_five_minutes_is_accepted_but_not_delivered() -> None:
    # The same body at 0, 100, 200, 300 and 400 s: the window opened at 0 closes at 300.
    run = Run([fifo_queue()], sources=[source(5, per_second=0.01, payload={"order": 7}, group_id="g1")],
              duration_s=500)
    got = run.receive(450.0)
    summary = run.finish(460.0)
    assert summary["messages"]["accepted"] == 5 and summary["messages"]["rejected"] == 0
    metrics = summary["components"]["Inbox"]
    assert (metrics["NumberOfMessagesSent"], metrics["NumberOfDeduplicatedSentMessages"]) == (2, 3)
    assert [d.message.sent_at for d in got] == [0.0, 300.0]


def test_duplicate_send_is_answered_with_the_original_message_id() -> None:
    run = Run([fifo_queue()])
    first = run.send(1.0, {"order": 7}, group_id="g1")
    repeat = run.send(60.0, {"order": 7}, group_id="g1")
    got = run.receive(61.0)
    run.finish(62.0)
    assert repeat[0][1].status == 200
    assert repeat[0][1].payload == first[0][1].payload == {"MessageId": got[0].message.message_id}
    assert len(got) == 1


def test_duplicate_is_still_rejected_after_the_original_was_deleted() -> None:
    run = Run([fifo_queue()], sources=[source(2, per_second=1 / 60, payload={"order": 7}, group_id="g1")],
              duration_s=120)
    got = run.receive(1.0)
    run.delete(1.0, got)
    after_repeat = run.receive(61.0)
    summary = run.finish(62.0)
    assert len(got) == 1 and after_repeat == []
    metrics = summary["components"]["Inbox"]
    assert (metrics["NumberOfMessagesSent"], metrics["NumberOfDeduplicatedSentMessages"]) == (1, 1)


@pytest.mark.parametrize(("scope", "stored"), [("queue", 1), ("messageGroup", 2)])
def test_deduplication_scope_decides_whether_another_group_may_repeat_an_id(scope: str, stored: int) -> None:
    run = Run([queue(FifoQueue=True, DeduplicationScope=scope)])
    for time, group_id in ((1.0, "g1"), (2.0, "g2"), (3.0, "g1")):
        run.send(time, {"n": 1}, group_id=group_id, deduplication_id="order-1")
    summary = run.finish(4.0)
    metrics = summary["components"]["Inbox"]
    assert (metrics["NumberOfMessagesSent"], metrics["NumberOfDeduplicatedSentMessages"]) == (stored, 3 - stored)


def test_fifo_queue_throttles_sends_beyond_300_per_second() -> None:
    run = Run([queue(FifoQueue=True)], sources=[source(1000, per_second=1000, group_id="g1",
                                                        deduplication_id="$message_id")], duration_s=1.0)
    summary = run.finish(2.0)
    messages = summary["messages"]
    # A full bucket of 300 at the start, then 300 a second: about 600 of 1,000 in one second.
    assert 595 <= messages["accepted"] <= 605
    assert messages["rejected"] == 1000 - messages["accepted"]
    assert summary["components"]["Inbox"]["NumberOfMessagesSent"] == messages["accepted"]


def test_high_throughput_fifo_queue_is_not_limited_to_300_per_second() -> None:
    run = Run([queue(FifoQueue=True, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")],
              sources=[source(1000, per_second=1000, group_id="g1", deduplication_id="$message_id")], duration_s=1.0)
    summary = run.finish(2.0)
    assert summary["messages"]["rejected"] == 0
    assert summary["components"]["Inbox"]["NumberOfMessagesSent"] == 1000


# Delay, retention --------------------------------------------------------------------------
def test_delay_seconds_postpones_visibility() -> None:
    run = Run([queue(DelaySeconds=10)], sources=[source()])
    woken: list[float] = []
    run.at(0.5, lambda: run.queue().wait_for_messages(lambda: woken.append(run.kernel.now)))
    early = run.receive(5.0)
    late = run.receive(10.5)
    run.finish(20.0)
    assert (early, payloads(late), woken) == ([], [1], [10.0])
    assert run.dwells()[0].start_time == epoch(10.0)


def test_expired_message_is_counted_lost() -> None:
    run = Run([queue(MessageRetentionPeriod=60)], sources=[source()])
    summary = run.finish(100.0)
    assert summary["messages"]["lost"] == 1 and summary["messages"]["in_flight"] == 0
    assert summary["components"]["Inbox"]["MessagesExpired"] == 1
    assert summary["components"]["Inbox"]["ApproximateNumberOfMessagesVisible"] == 0
    [stay] = run.dwells()
    assert (stay.annotations["outcome"], stay.start_time, stay.end_time) == ("expired", epoch(0.0), epoch(60.0))
    assert run.records[0].finished_at == 60.0


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_messages_nobody_receives_expire_at_the_end_of_their_retention_within_the_drain(fifo: bool) -> None:
    extra: dict[str, Any] = {"group_id": "g1"} if fifo else {}
    make = fifo_queue if fifo else queue
    result = scenario_run(scenario_topology([make(MessageRetentionPeriod=60)]), [source(10, **extra)],
                          duration_s=10, drain_s=600)
    messages = result.summary["messages"]
    assert (messages["lost"], messages["in_flight"], messages["completed"]) == (10, 0, 0)
    metrics = result.component("Inbox")
    assert metrics["MessagesExpired"] == 10 and metrics["ApproximateNumberOfMessagesVisible"] == 0
    stays = result.named("Inbox")
    assert all(stay.annotations["outcome"] == "expired" for stay in stays)
    assert [seconds(stay.end_time) - seconds(stay.start_time) for stay in stays] == [60.0] * 10
    # Nothing is left once the last one expires: the run ends there, not at its deadline.
    assert result.summary["virtual_seconds"] == max(seconds(stay.end_time) for stay in stays) == 69.0


def test_a_queue_that_empties_leaves_no_retention_timer_to_keep_the_run_going() -> None:
    consumed = scenario_topology(
        [queue(MessageRetentionPeriod=60), {"id": "Worker", "kind": "lambda"}],
        [{"source": "Inbox", "target": "Worker", "role": "event_source"}])
    result = scenario_run(consumed, [source(5)], duration_s=5, drain_s=600)
    assert result.summary["messages"]["completed"] == 5
    assert result.summary["virtual_seconds"] < 10


def test_a_copy_left_by_at_least_once_delivery_expires_with_its_original_out_of_sending_order() -> None:
    run = Run([queue(MessageRetentionPeriod=60, behavior={"duplicate_delivery_rate": 1.0})],
              sources=[source(), source(start_s=10.0)])
    first = run.receive(20.0, 1)  # the message sent at 0 s, leaving a copy behind that expires at 60 s
    run.delete(21.0, first)
    run.advance(65.0)
    # The copy went at 60 s, although the message sent after it (at 10 s) is kept until 70 s.
    assert run.queue().visible_count == 1 and run.queue().metrics()["MessagesExpired"] == 1
    expired = [stay for stay in run.dwells() if stay.annotations["outcome"] == "expired"]
    assert [stay.end_time for stay in expired] == [epoch(60.0)]


def test_expired_message_is_found_when_a_receive_reaches_it() -> None:
    run = Run([queue(MessageRetentionPeriod=60)], sources=[source(), source(start_s=30.0)])
    got = run.receive(70.0)
    run.advance(71.0)
    assert [d.message.sent_at for d in got] == [30.0]
    assert run.queue().metrics()["MessagesExpired"] == 1
    assert run.records[0].finished_at == 60.0


def test_message_that_expires_in_flight_is_lost_when_its_visibility_ends() -> None:
    run = Run([queue(MessageRetentionPeriod=60, VisibilityTimeout=120)], sources=[source()])
    run.receive(1.0)
    summary = run.finish(130.0)
    assert summary["messages"]["lost"] == 1
    assert [s.annotations["outcome"] for s in run.dwells()] == ["received", "expired"]


# At-least-once delivery --------------------------------------------------------------------
def poll_and_delete(run: Run, every_s: float, until_s: float, queue_id: str = "Inbox") -> list[Delivery]:
    """A consumer that drains the queue every ``every_s`` and deletes everything it gets."""
    delivered: list[Delivery] = []

    def poll() -> None:
        target = run.queue(queue_id)
        while batch := target.receive(10):
            delivered.extend(batch)
            for delivery in batch:
                target.delete(delivery)
        if run.kernel.now + every_s <= until_s:
            run.kernel.schedule(every_s, poll)

    run.at(every_s, poll)
    return delivered


def test_standard_queue_sometimes_delivers_twice() -> None:
    run = Run([queue(behavior={"duplicate_delivery_rate": 0.2})], sources=[source(400, per_second=100)])
    delivered = poll_and_delete(run, every_s=0.5, until_s=10.0)
    summary = run.finish(12.0)
    extra = len(delivered) - 400
    assert {d.message.payload["n"] for d in delivered} == set(range(1, 401))
    assert 0.12 < extra / len(delivered) < 0.28
    # Received twice by hand, handled by no consumer: no duplicate handling (see the next test).
    assert summary["messages"]["duplicate_deliveries"] == 0
    assert summary["messages"]["completed"] == 400 and balanced(summary["messages"])
    assert summary["components"]["Inbox"]["NumberOfMessagesReceived"] == len(delivered)


def test_a_function_that_handles_both_copies_of_a_message_counts_a_duplicate_for_each_second_copy() -> None:
    consumed = scenario_topology(
        [queue(behavior={"duplicate_delivery_rate": 0.2}), {"id": "Worker", "kind": "lambda"}],
        [{"source": "Inbox", "target": "Worker", "role": "event_source"}])
    result = scenario_run(consumed, [source(400, per_second=100)], duration_s=4, drain_s=60)
    metrics = result.component("Inbox")
    extra = metrics["NumberOfMessagesReceived"] - metrics["NumberOfMessagesSent"]
    assert extra > 0 and result.summary["messages"]["completed"] == 400
    assert result.summary["messages"]["duplicate_deliveries"] == extra == duplicates_in_traces(result.segments)


def test_default_duplicate_rate_is_rare() -> None:
    run = Run([queue()], sources=[source(4000, per_second=1000)], duration_s=5.0)
    delivered = poll_and_delete(run, every_s=0.5, until_s=6.0)
    run.finish(7.0)
    assert 0 <= len(delivered) - 4000 <= 10


# Accounting --------------------------------------------------------------------------------
def test_summary_balances_with_deletes_dead_letters_expiries_and_messages_left_behind() -> None:
    run = Run([queue(VisibilityTimeout=5, MessageRetentionPeriod=60), queue("InboxDLQ")],
              [redrive("Inbox", "InboxDLQ", 2)], [source(30)])

    def consume() -> None:
        target = run.queue()
        for delivery in target.receive(10):
            if delivery.message.payload["n"] % 2 == 0:
                target.delete(delivery)  # odd ones fail until they are dead-lettered
        if run.kernel.now < 20:
            run.kernel.schedule(1.0, consume)

    run.at(0.5, consume)  # polls at 0.5, 1.5 ... 20.5
    # Takes 26 (it expires in flight at 85 s) and 27 (still in flight at the end).
    run.receive(84.0, 2)
    summary = run.finish(85.0)
    messages = summary["messages"]
    assert balanced(messages)
    # Message n is sent at n - 1 s. Even n up to 20 are deleted; odd n up to 11 get their third
    # receive attempt (n + 9.5 s) before the consumer stops; the rest wait until their 60 s
    # retention ends (sent by 25 s: lost) or the run ends (27 to 30: still in the queue).
    assert (messages["accepted"], messages["completed"], messages["dead_lettered"]) == (30, 10, 6)
    assert (messages["lost"], messages["in_flight"]) == (10, 4)
    metrics = summary["components"]["Inbox"]
    assert (metrics["ApproximateNumberOfMessagesVisible"], metrics["ApproximateNumberOfMessagesNotVisible"]) == (3, 1)
    assert metrics["MessagesExpired"] == 10


def test_messages_left_in_the_queue_get_in_progress_dwell_segments() -> None:
    run = Run([queue(VisibilityTimeout=600)], sources=[source(2)])
    got = run.receive(5.0, 1)
    summary = run.finish(100.0)
    waiting = [s for s in run.dwells() if s.in_progress]
    assert [s.annotations["outcome"] for s in waiting] == ["in_queue"]
    assert waiting[0].end_time is None and waiting[0].annotations["message_id"] != got[0].message.message_id
    metrics = summary["components"]["Inbox"]
    assert (metrics["ApproximateNumberOfMessagesVisible"], metrics["ApproximateNumberOfMessagesNotVisible"]) == (1, 1)
    assert metrics["ApproximateAgeOfOldestMessage"] == 100
    assert summary["messages"]["in_flight"] == 2


def test_the_summary_places_each_copy_left_in_the_queue_by_state_leaving_dead_letters_out() -> None:
    run = Run([queue(VisibilityTimeout=5), queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 1)],
              sources=[source(4)])
    run.receive(0.5, 1)  # the first message, visible again at 5.5 s
    run.receive(7.0, 1)  # moves it to the DLQ, then hands out the second (in flight until 12 s)
    summary = run.finish(10.0)
    assert summary["in_flight_at_end"] == {"copies": 3, "by_component": {"Inbox": {"waiting": 2, "received": 1}}}
    # The dead-lettered message is settled: its copy in the DLQ holds no token and is not placed.
    assert summary["components"]["InboxDLQ"]["ApproximateNumberOfMessagesVisible"] == 1
    assert summary["messages"]["dead_lettered"] == 1


def test_gauges_report_visible_in_flight_and_oldest_age() -> None:
    run = Run([queue()], sources=[source(3)])
    run.receive(4.0, 1)
    run.advance(10.0)
    assert run.queue().gauges() == {"visible": 2, "in_flight": 1, "oldest_age_s": 10.0}


def test_wait_for_messages_calls_back_once_when_a_message_becomes_visible() -> None:
    run = Run([queue()], sources=[source(2, start_s=2.0)])
    woken: list[float] = []
    run.at(0.5, lambda: run.queue().wait_for_messages(lambda: woken.append(run.kernel.now)))
    run.at(5.0, lambda: run.queue().wait_for_messages(lambda: woken.append(run.kernel.now)))
    run.advance(10.0)
    assert woken == [2.0, 5.0]  # once on arrival; at once when something is already visible


def test_wait_for_messages_on_a_fifo_queue_waits_while_every_group_is_blocked() -> None:
    run = Run([fifo_queue()], sources=labelled(["g1", "g1"]))
    first = run.receive(1.0, 1)
    woken: list[float] = []
    run.at(2.0, lambda: run.queue().wait_for_messages(lambda: woken.append(run.kernel.now)))
    run.delete(5.0, first)
    run.advance(10.0)
    assert woken == [5.0]


# Faults ------------------------------------------------------------------------------------
def test_unavailable_queue_refuses_sends_and_stores_nothing() -> None:
    run = Run([queue()], sources=[source(10)],
              faults=[{"component": "Inbox", "kind": "unavailable", "from_s": 0, "to_s": 4.5}])
    replies = run.send(1.0, {"n": 0})
    summary = run.finish(20.0)
    assert replies[0][1].status == 503
    assert summary["messages"]["rejected"] == 6 and summary["messages"]["accepted"] == 5
    assert summary["components"]["Inbox"]["NumberOfMessagesSent"] == 5


@pytest.mark.parametrize(("kind", "value", "status", "error"), [
    ("error_rate", 1.0, 500, "InternalError"),
    ("throttle", 0.0001, 429, "ThrottlingException"),
])
def test_injected_faults_refuse_sends(kind: str, value: float, status: int, error: str) -> None:
    run = Run([queue()], faults=[{"component": "Inbox", "kind": kind, "value": value, "from_s": 0, "to_s": 10}])
    run.send(1.0, {"n": 0})  # a throttle bucket starts with less than one token
    replies = run.send(2.0, {"n": 1})
    summary = run.finish(3.0)
    assert (replies[0][1].status, replies[0][1].error) == (status, error)
    assert summary["components"]["Inbox"]["NumberOfMessagesSent"] == 0


def test_slow_fault_delays_the_answer() -> None:
    run = Run([queue()], faults=[{"component": "Inbox", "kind": "slow", "value": 250, "from_s": 0, "to_s": 10}])
    replies = run.send(1.0, {"n": 0})
    run.finish(3.0)
    assert replies[0][0] == pytest.approx(1.25)


# Trace content, cost, determinism ----------------------------------------------------------
def test_dwell_segments_carry_queue_url_and_first_stay_metadata() -> None:
    run = Run([queue()], sources=[source(attributes={"store": "eu"})])
    run.receive(1.0)
    run.receive(32.0)
    run.finish(40.0)
    first, second = run.dwells()
    assert first.aws == second.aws == {"operation": "ReceiveMessage", "queue_url": INBOX_URL}
    assert first.metadata == {"sqs": {"SentTimestamp": str(int(epoch(0.0) * 1000)),
                                      "MessageAttributes": {"store": "eu"}},
                              "message": {"payload": first.metadata["message"]["payload"]}}
    assert first.metadata["message"]["payload"] is not None
    # The second stay began because the first receive's visibility timeout ran out.
    assert second.metadata == {"sqs": {"VisibilityTimeout": 30}}


def test_a_stay_says_the_visibility_timeout_that_ran_out_and_not_a_change_of_visibility() -> None:
    run = Run([queue(VisibilityTimeout=10)], sources=[source()])
    got = run.receive(1.0)
    run.at(2.0, lambda: run.queue().change_visibility(got[0], 0))  # visible again: no timeout ran out
    again = run.receive(3.0)
    run.at(4.0, lambda: run.queue().change_visibility(again[0], 25.5))
    run.receive(30.0)  # 4 + 25.5: the changed timeout ran out first
    run.finish(60.0)
    first, after_change, after_timeout, after_default = run.dwells()
    assert first.metadata is not None and "VisibilityTimeout" not in first.metadata["sqs"]
    assert after_change.metadata is None
    assert after_timeout.metadata == {"sqs": {"VisibilityTimeout": 25.5}}
    assert (after_timeout.start_time, after_timeout.annotations["receive_count"]) == (epoch(29.5), 3)
    assert after_default.metadata == {"sqs": {"VisibilityTimeout": 10}} and after_default.in_progress


def test_the_move_to_the_dead_letter_queue_names_the_redrive_policy() -> None:
    run = Run([queue(VisibilityTimeout=10), queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 2)], [source()])
    for attempt in range(3):
        run.receive(1.0 + 11.0 * attempt)
    run.finish(40.0)
    moved = run.dwells()[-1]
    assert moved.annotations["outcome"] == "dead_lettered"
    assert moved.metadata == {"sqs": {"VisibilityTimeout": 10, "RedrivePolicy": {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:InboxDLQ", "maxReceiveCount": 2}}}


def test_an_expired_stay_names_the_message_retention_period() -> None:
    run = Run([queue(MessageRetentionPeriod=60)], sources=[source()])
    run.finish(100.0)
    [stay] = run.dwells()
    assert stay.metadata is not None and stay.metadata["sqs"]["MessageRetentionPeriod"] == 60
    assert stay.metadata["sqs"]["SentTimestamp"] == str(int(epoch(0.0) * 1000))


def test_fifo_dwell_segments_name_the_message_group() -> None:
    run = Run([fifo_queue()], sources=labelled(["g7"]))
    run.receive(1.0)
    run.finish(2.0)
    assert run.dwells()[0].aws == {"operation": "ReceiveMessage", "queue_url": INBOX_URL, "message_group_id": "g7"}


@pytest.mark.parametrize(("fifo", "price"), [(False, SQS_STANDARD_PER_REQUEST), (True, SQS_FIFO_PER_REQUEST)])
def test_cost_counts_every_send_receive_and_delete_request(fifo: bool, price: float) -> None:
    make = fifo_queue if fifo else queue
    run = Run([make()], sources=[source(3, group_id="g1") if fifo else source(3)])
    got = run.receive(5.0)
    run.delete(5.0, got)
    run.receive(6.0)
    summary = run.finish(7.0)
    # 3 sends + 1 receive of 3 messages + 3 deletes + 1 empty receive.
    assert summary["cost_usd"]["by_component"]["Inbox"] == pytest.approx(8 * price)


def test_each_64_kb_chunk_of_a_payload_is_billed_as_a_request() -> None:
    run = Run([queue()], sources=[source(payload={"blob": "x" * 100_000})])
    got = run.receive(1.0)
    run.delete(1.0, got)
    summary = run.finish(2.0)
    # A 100 KB send is 2 requests, its receive 2 more, the delete 1.
    assert summary["cost_usd"]["by_component"]["Inbox"] == pytest.approx(5 * SQS_STANDARD_PER_REQUEST)


def test_same_seed_gives_identical_traces_and_summary() -> None:
    def one_run() -> tuple[bytes, dict[str, Any]]:
        run = Run([queue(behavior={"send_ms": {"median": 4, "p99": 15}, "duplicate_delivery_rate": 0.3})],
                  sources=[source(200, per_second=50, arrival="poisson")], seed=42)
        poll_and_delete(run, every_s=0.3, until_s=6.0)
        summary = run.finish(8.0)
        return msgspec.json.encode(run.tracer.segments), summary

    assert one_run() == one_run()


# Topology rules ----------------------------------------------------------------------------
def problems_of(components: list[dict[str, Any]], connections: list[dict[str, Any]] | None = None) -> list[Problem]:
    return check_topology({"format": "wiretap.topology/1", "components": components,
                           "connections": connections or []})


@pytest.mark.parametrize(("name", "value"), [
    ("ContentBasedDeduplication", True),
    ("DeduplicationScope", "messageGroup"),
    ("FifoThroughputLimit", "perMessageGroupId"),
])
def test_fifo_only_properties_on_a_standard_queue_are_errors(name: str, value: Any) -> None:
    problems = problems_of([queue(**{name: value})])
    assert [(p.pointer, p.subject) for p in problems] == [(f"/components/0/properties/{name}", "Inbox")]
    assert "only to FIFO queues" in problems[0].message


def test_per_message_group_throughput_needs_message_group_deduplication() -> None:
    problems = problems_of([queue(FifoQueue=True, FifoThroughputLimit="perMessageGroupId")])
    assert [p.pointer for p in problems] == ["/components/0/properties/FifoThroughputLimit"]
    assert problems_of([queue(FifoQueue=True, FifoThroughputLimit="perMessageGroupId",
                              DeduplicationScope="messageGroup")]) == []


def test_a_queue_has_at_most_one_dead_letter_queue() -> None:
    problems = problems_of([queue(), queue("DlqA"), queue("DlqB")],
                           [redrive("Inbox", "DlqA", 3), redrive("Inbox", "DlqB", 3)])
    assert [(p.pointer, p.subject) for p in problems] == [("/connections/1", "Inbox")]


@pytest.mark.parametrize(("source_fifo", "message"), [
    (True, "the dead-letter queue of a FIFO queue must also be a FIFO queue"),
    (False, "the dead-letter queue of a standard queue must also be a standard queue"),
])
def test_dead_letter_queue_must_be_of_the_same_type(source_fifo: bool, message: str) -> None:
    source_queue = fifo_queue() if source_fifo else queue()
    dead_letter_queue = queue("InboxDLQ") if source_fifo else fifo_queue("InboxDLQ")
    problems = problems_of([source_queue, dead_letter_queue], [redrive("Inbox", "InboxDLQ", 3)])
    assert [(p.pointer, p.subject) for p in problems] == [("/connections/0/target", "Inbox")]
    assert problems[0].message.startswith(message)


def test_matching_dead_letter_queues_pass() -> None:
    assert problems_of([fifo_queue(), fifo_queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 3)]) == []
    assert problems_of([queue(), queue("InboxDLQ")], [redrive("Inbox", "InboxDLQ", 3)]) == []


def test_a_queue_cannot_be_its_own_dead_letter_queue() -> None:
    problems = problems_of([queue()], [redrive("Inbox", "Inbox", 3)])
    assert [p.message for p in problems] == ["a queue cannot be its own dead-letter queue"]


def test_fifo_queue_cannot_subscribe_to_a_standard_topic() -> None:
    topic = {"id": "Orders", "kind": "sns", "properties": {}}
    subscription = {"source": "Orders", "target": "Inbox", "role": "subscription"}
    problems = problems_of([topic, fifo_queue()], [subscription])
    ours = [p for p in problems if p.subject == "Inbox"]
    assert [p.pointer for p in ours] == ["/connections/0/source"]
    assert "FIFO queue can subscribe only to a FIFO topic" in ours[0].message
    fifo_topic = {"id": "Orders", "kind": "sns", "properties": {"FifoTopic": True}}
    assert [p for p in problems_of([fifo_topic, fifo_queue()], [subscription]) if p.subject == "Inbox"] == []


def test_properties_take_aws_defaults_and_ranges() -> None:
    defaults, behavior = KIND.defaults()
    assert defaults == {"FifoQueue": False, "ContentBasedDeduplication": False, "DeduplicationScope": "queue",
                        "FifoThroughputLimit": "perQueue", "VisibilityTimeout": 30, "MessageRetentionPeriod": 345600,
                        "DelaySeconds": 0, "ReceiveMessageWaitTimeSeconds": 0}
    assert behavior == {"send_ms": {"median": 4, "p99": 15}, "duplicate_delivery_rate": 0.0005}
    out_of_range: dict[str, Any] = {"VisibilityTimeout": 43201, "MessageRetentionPeriod": 59, "DelaySeconds": 901,
                    "ReceiveMessageWaitTimeSeconds": 21}
    problems = problems_of([queue(**out_of_range)])
    assert sorted(p.pointer.rsplit("/", 1)[1] for p in problems) == sorted(out_of_range)
