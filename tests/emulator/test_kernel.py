"""The kernel: time order, ties, cancellation, run(until=)."""

from __future__ import annotations

import pytest

from emulator.kernel import Kernel


def test_events_run_in_time_order_and_ties_in_scheduling_order() -> None:
    kernel = Kernel()
    seen: list[tuple[float, str]] = []
    kernel.schedule(2.0, lambda: seen.append((kernel.now, "late")))
    kernel.schedule(1.0, lambda: seen.append((kernel.now, "first")))
    kernel.schedule(1.0, lambda: seen.append((kernel.now, "second")))
    kernel.run()
    assert seen == [(1.0, "first"), (1.0, "second"), (2.0, "late")]


def test_cancelled_event_neither_runs_nor_moves_the_clock() -> None:
    kernel = Kernel()
    seen: list[float] = []
    kernel.schedule(1.0, lambda: seen.append(kernel.now))
    timeout = kernel.schedule(30.0, lambda: seen.append(kernel.now))
    kernel.cancel(timeout)
    kernel.run()
    assert seen == [1.0]
    assert kernel.now == 1.0


def test_run_until_stops_at_the_limit_and_resumes_where_it_stopped() -> None:
    kernel = Kernel()
    seen: list[float] = []
    for time in (1.0, 2.0, 3.0):
        kernel.schedule(time, lambda: seen.append(kernel.now))
    kernel.run(until=2.5)
    assert seen == [1.0, 2.0] and kernel.now == 2.5
    kernel.run()
    assert seen == [1.0, 2.0, 3.0]


def test_run_until_advances_the_clock_past_the_last_event_unless_asked_not_to() -> None:
    kernel = Kernel()
    kernel.schedule(1.0, lambda: None)
    kernel.run(until=5.0)
    assert kernel.now == 5.0
    kernel.schedule(1.0, lambda: None)
    kernel.run(until=10.0, advance_clock=False)
    assert kernel.now == 6.0
    # Not even when something is due later: whether time goes on is the caller's decision.
    kernel.schedule(1.0, lambda: None)
    kernel.schedule(20.0, lambda: None)
    kernel.run(until=10.0, advance_clock=False)
    assert kernel.now == 7.0 and kernel.next_time == 26.0


def test_run_with_max_events_stops_after_that_many_and_resumes_as_if_never_sliced() -> None:
    kernel = Kernel()
    seen: list[float] = []
    for time in (1.0, 1.0, 1.0, 2.0):
        kernel.schedule(time, lambda: seen.append(kernel.now))
    assert kernel.run(until=5.0, max_events=2) is False
    assert seen == [1.0, 1.0] and kernel.now == 1.0  # the clock stays at the last event
    assert kernel.run(until=5.0, max_events=2) is False
    assert kernel.run(until=5.0, max_events=2) is True
    assert seen == [1.0, 1.0, 1.0, 2.0] and kernel.now == 5.0 and kernel.events_processed == 4


def test_run_stopped_by_a_callback_says_it_did_not_reach_until() -> None:
    kernel = Kernel()
    kernel.schedule(1.0, kernel.stop)
    kernel.schedule(2.0, lambda: None)
    assert kernel.run(until=5.0) is False and kernel.now == 1.0
    assert kernel.run(until=5.0) is True and kernel.now == 5.0


def test_a_budget_of_no_events_is_refused() -> None:
    with pytest.raises(ValueError, match="max_events must be at least 1"):
        Kernel().run(max_events=0)


def test_callbacks_can_schedule_more_events() -> None:
    kernel = Kernel()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(kernel.now)
        if len(ticks) < 3:
            kernel.schedule(0.5, tick)

    kernel.schedule(0.0, tick)
    kernel.run()
    assert ticks == [0.0, 0.5, 1.0]


def test_scheduling_in_the_past_is_refused() -> None:
    with pytest.raises(ValueError, match="past"):
        Kernel().schedule(-1.0, lambda: None)


def test_deadlines_expire_in_order_and_cancelled_ones_never_fire() -> None:
    from emulator.kernel import Deadlines

    kernel = Kernel()
    expired: list[tuple[float, str]] = []
    deadlines = Deadlines(kernel, 10.0, lambda item: expired.append((kernel.now, item)))
    handles = {}
    for start, name in ((0.0, "a"), (1.0, "b"), (2.0, "c")):
        kernel.schedule(start, lambda name=name: handles.__setitem__(name, deadlines.start(name)))
    kernel.schedule(5.0, lambda: handles["b"].cancel())
    kernel.run()
    assert expired == [(10.0, "a"), (12.0, "c")]


def test_cancelled_deadlines_do_not_keep_the_run_going() -> None:
    from emulator.kernel import Deadlines

    kernel = Kernel()
    deadlines = Deadlines(kernel, 30.0, lambda item: None)
    kernel.schedule(1.0, lambda: deadlines.start("x").cancel())
    kernel.run()
    assert kernel.now == 1.0 and kernel.next_time is None
