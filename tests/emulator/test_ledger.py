"""The ledger: counters instead of records, rejections, the end of each message."""

from emulator.ledger import Ledger
from emulator.messages import COMPLETED, DEAD_LETTERED


def test_ledger_counts_without_keeping_records() -> None:
    ledger = Ledger()
    done = ledger.accept("m1", "t1", 0.0)
    dead = ledger.accept("m2", "t2", 0.0)
    refused = ledger.accept("m3", "t3", 0.0)
    open_ = ledger.accept("m4", "t4", 0.0)
    ledger.release(done, COMPLETED, 0.25)
    ledger.release(dead, DEAD_LETTERED, 1.0)
    ledger.reject(refused)
    ledger.release(refused, COMPLETED, 1.0)
    assert open_.tokens == 1
    assert ledger.counts() == {"accepted": 3, "completed": 1, "dead_lettered": 1, "rejected": 1,
                               "in_flight": 1, "lost": 0, "duplicate_deliveries": 0}
    assert ledger.latencies.percentiles((50,)) == {"p50": 250.0}


def test_a_rejected_message_with_a_copy_still_travelling_is_not_in_flight() -> None:
    ledger = Ledger()
    record = ledger.accept("m1", "t1", 0.0)
    ledger.hold(record)  # the function queued a copy before failing the request
    ledger.reject(record)
    ledger.release(record, COMPLETED, 1.0)
    assert ledger.counts()["in_flight"] == 0 and ledger.open_messages == 1
    ledger.release(record, COMPLETED, 2.0)
    assert ledger.open_messages == 0 and ledger.counts()["completed"] == 0


def test_the_ledger_tells_who_asks_of_each_message_that_finishes() -> None:
    ledger = Ledger()
    finished: list[tuple[str, int, bool]] = []
    ledger.on_finished = lambda record: finished.append((record.message_id, record.outcome, record.rejected))
    kept = ledger.accept("m1", "t1", 0.0)
    ledger.hold(kept)
    refused = ledger.accept("m2", "t2", 0.0)
    ledger.reject(refused)
    ledger.release(refused, COMPLETED, 0.1)
    ledger.release(kept, COMPLETED, 0.5)
    assert finished == [("m2", COMPLETED, True)]  # m1 still has a copy somewhere
    ledger.release(kept, DEAD_LETTERED, 2.0)
    assert finished == [("m2", COMPLETED, True), ("m1", DEAD_LETTERED, False)]


def test_the_ledger_counts_the_copies_held_by_every_open_message() -> None:
    ledger = Ledger()
    first = ledger.accept("m1", "t1", 0.0)
    ledger.hold(first)
    second = ledger.accept("m2", "t2", 0.0)
    assert ledger.copies == 3
    ledger.reject(second)  # refused, but its copy is still somewhere until given back
    assert ledger.copies == 3
    ledger.release(second, COMPLETED, 1.0)
    ledger.release(first, COMPLETED, 1.0)
    assert ledger.copies == 1


def test_a_duplicate_is_a_delivery_handled_again_by_the_same_consumer() -> None:
    ledger = Ledger()
    record = ledger.accept("m1", "t1", 0.0)
    ledger.handled(record, "Worker", "send-1")
    ledger.handled(record, "Audit", "send-1")  # another consumer: its own first handling
    ledger.handled(record, "Worker", "send-2")  # another delivery of the message: new work
    ledger.handled(record, "Worker", None)  # and one with no caller (the workload's request)
    assert ledger.duplicate_deliveries == 0
    ledger.handled(record, "Worker", "send-1")
    ledger.handled(record, "Worker", "send-2")
    ledger.handled(record, "Audit", "send-1")
    ledger.handled(record, "Worker", "send-1")
    assert ledger.duplicate_deliveries == 4
    assert ledger.counts()["duplicate_deliveries"] == 4
