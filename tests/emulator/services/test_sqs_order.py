"""Standard queues hand out visible messages in the order they were sent, returns from flight included.

New sends wait in arrival order and messages whose visibility timeout ended wait beside them
(emulator/services/sqs.py keeps the two apart); a receive must still take the earliest sent first.
"""

from __future__ import annotations

from emulator.services.sqs import Delivery
from tests.emulator.services.test_sqs import Run, payloads, queue, source


def ids(deliveries: list[Delivery]) -> list[str]:
    return [delivery.message.message_id for delivery in deliveries]


def test_a_message_back_from_flight_is_received_before_the_ones_sent_after_it() -> None:
    run = Run([queue(VisibilityTimeout=5)], sources=[source(5, per_second=10)])
    first = run.receive(1.0, 2)
    later = run.receive(7.0, 10)
    run.advance(8.0)
    assert payloads(first) == [1, 2]
    assert payloads(later) == [1, 2, 3, 4, 5]
    assert [d.receive_count for d in later] == [2, 2, 1, 1, 1]


def test_returns_and_new_sends_interleave_by_send_order() -> None:
    run = Run([queue(VisibilityTimeout=5)], sources=[source(3, per_second=10), source(2, start_s=4.0)])
    first = run.receive(1.0, 3)  # 1, 2, 3 in flight until 6.0
    run.at(2.0, lambda: run.queue().change_visibility(first[1], 0))  # 2 is visible again at once
    back = run.receive(3.0, 1)
    rest = run.receive(6.5, 10)  # 1 and 3 are back; 4 and 5 were sent at 4.0 and 5.0
    run.advance(7.0)
    assert ids(back) == ["msg-000002"]
    assert ids(rest) == ["msg-000001", "msg-000003", "msg-000004", "msg-000005"]


def test_a_message_deleted_while_visible_is_skipped() -> None:
    run = Run([queue(VisibilityTimeout=5)], sources=[source(3, per_second=10)])
    first = run.receive(1.0, 1)  # 1, back at 6.0
    run.at(6.5, lambda: run.queue().delete(first[0]))  # deleted while visible again, before a receive
    rest = run.receive(7.0, 10)
    summary = run.finish(8.0)
    assert payloads(rest) == [2, 3]
    assert summary["components"]["Inbox"]["NumberOfMessagesDeleted"] == 1
