"""Simulation: the end rule, and what the summary says about what is still under way."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import ListTracer
from emulator.workload import load_workload
from tests.emulator.scenario import balanced, run, seconds, topology

UNCONSUMED = topology([{"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 0}}])
CONSUMED = topology(
    [{"id": "Inbox", "kind": "sqs", "behavior": {"send_ms": 0, "duplicate_delivery_rate": 0}},
     {"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": {"median": 50, "p99": 80}}}],
    [{"source": "Inbox", "target": "Worker", "role": "event_source"}],
)
TEN = [{"target": "Inbox", "rate": {"per_second": 1}, "count": 10}]


def simulation(document: dict[str, Any], sources: list[dict[str, Any]], duration_s: float = 10,
               drain_s: float = 600) -> Simulation:
    loaded = load_topology(document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 4, "duration_s": duration_s,
                              "drain_s": drain_s, "sources": sources}, loaded)
    return Simulation(loaded, workload, tracer=ListTracer())


def test_a_run_with_messages_in_flight_ends_at_the_deadline_and_measures_ages_there() -> None:
    result = run(UNCONSUMED, TEN, duration_s=10, drain_s=600)
    # Nothing is scheduled once the last message is stored, yet the messages wait: the run goes on
    # to duration + drain, and the oldest message is as old as that.
    first_sent = min(seconds(s.start_time) for s in result.named("Inbox"))
    assert result.summary["messages"]["in_flight"] == 10
    assert result.summary["virtual_seconds"] == 610.0
    assert result.component("Inbox")["ApproximateAgeOfOldestMessage"] == round(610.0 - first_sent)
    assert all(s.in_progress for s in result.named("Inbox"))
    # And the summary says where they are.
    assert result.summary["in_flight_at_end"] == {"copies": 10, "by_component": {"Inbox": {"waiting": 10}}}


def test_a_settled_run_ends_at_its_last_event_before_the_deadline() -> None:
    result = run(CONSUMED, TEN, duration_s=10, drain_s=600)
    assert result.summary["messages"]["completed"] == 10 and result.summary["messages"]["in_flight"] == 0
    last_end = max(seconds(s.end_time) for s in result.segments)
    assert result.summary["virtual_seconds"] == pytest.approx(last_end, abs=1e-3)
    assert result.summary["virtual_seconds"] < 20


@pytest.mark.parametrize("document", [UNCONSUMED, CONSUMED], ids=["in flight", "settled"])
def test_a_run_in_slices_ends_where_a_run_in_one_go_ends(document: dict[str, Any]) -> None:
    whole = simulation(document, TEN).run()
    seen: list[float] = []
    sliced = simulation(document, TEN).run(progress=lambda now, _deadline: seen.append(now))
    assert sliced == whole and balanced(sliced)
    assert seen[-1] == pytest.approx(whole["virtual_seconds"], abs=1e-3)


def test_the_end_rule_waits_for_what_is_scheduled_before_the_deadline_only() -> None:
    sim = simulation(CONSUMED, TEN, drain_s=60)
    sim.start()
    sim.advance(30.0)
    assert sim.settled() and sim.over() and sim.kernel.now < 30.0
    # Something due within the run keeps it going; something due after its deadline cannot run.
    sim.kernel.schedule(5.0, lambda: None)
    assert not sim.settled() and sim.next_stop() == pytest.approx(sim.kernel.now + 5.0)
    sim.advance(sim.deadline)
    sim.kernel.schedule(1_000.0, lambda: None)
    assert sim.settled() and sim.next_stop() == sim.deadline


def test_a_settled_run_holds_no_copies() -> None:
    result = run(CONSUMED, TEN, duration_s=10, drain_s=600)
    assert result.summary["in_flight_at_end"] == {"copies": 0, "by_component": {}}


def test_requests_not_yet_answered_are_placed_at_the_component_they_were_sent_to() -> None:
    slow = topology([{"id": "Slow", "kind": "lambda", "properties": {"Timeout": 60},
                      "behavior": {"duration_ms": {"median": 30_000, "p99": 30_000}}}])
    result = run(slow, [{"target": "Slow", "rate": {"per_second": 1}, "count": 3}], duration_s=3, drain_s=10)
    # A synchronous invocation holds no copy of its own: the caller's request, still unanswered, does.
    assert result.summary["in_flight_at_end"] == {"copies": 3, "by_component": {"Slow": {"answering": 3}}}
    assert result.summary["messages"]["in_flight"] == 3
