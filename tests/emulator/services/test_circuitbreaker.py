"""The circuit breaker: closed, open after N consecutive failures (fail fast), half-open probes, closed again.

The rules are the package docstring's (emulator/services/circuitbreaker/__init__.py). A caller calls
a partner's HTTP API through the breaker; outages are ``unavailable`` faults on the API.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, balanced, run, seconds, topology


def guarded(**breaker: Any) -> dict[str, Any]:
    return topology(
        [{"id": "Caller", "kind": "lambda", "properties": {"Timeout": 30},
          "behavior": {"duration_ms": 10, "cold_start_ms": 0}},
         {"id": "Breaker", "kind": "circuitbreaker",
          "behavior": {"failure_threshold": 3, "open_s": 5, "state_ms": 0, **breaker}},
         {"id": "Partner", "kind": "http", "behavior": {"latency_ms": 100}}],
        [{"source": "Caller", "target": "Breaker", "role": "request"},
         {"source": "Breaker", "target": "Partner", "role": "request"}],
    )


def calls(count: int, per_second: float = 2) -> list[dict[str, Any]]:
    return [{"target": "Caller", "rate": {"per_second": per_second}, "count": count, "payload": {"n": "$seq"}}]


def outage(from_s: float, to_s: float) -> list[dict[str, Any]]:
    return [{"component": "Partner", "kind": "unavailable", "from_s": from_s, "to_s": to_s}]


def breaker_segments(result: Run) -> list[Any]:
    return sorted(result.named("Breaker"), key=lambda s: s.start_time)


def reached_partner(segment: Any) -> bool:
    return any(s.name == "Partner" for s in segment.subsegments or [])


def test_a_closed_breaker_lets_every_call_through() -> None:
    result = run(guarded(), calls(5))
    assert all(s.annotations["breaker"] == "closed" and reached_partner(s) for s in breaker_segments(result))
    assert result.component("Breaker")["CallsPermitted"] == 5 and result.component("Breaker")["State"] == "closed"


def test_after_n_consecutive_failures_calls_fail_fast_without_reaching_the_api() -> None:
    # The API is down from 0 to 3 s; calls every 0.5 s; the breaker opens after 3 failures, for 5 s.
    result = run(guarded(), calls(8), faults=outage(0, 3))
    segments = breaker_segments(result)
    assert [reached_partner(s) for s in segments[:3]] == [True, True, True]
    rejected = segments[3:]
    assert all(s.annotations["breaker"] == "open" and not reached_partner(s) for s in rejected)
    assert all(s.annotations["outcome"] == "rejected" and s.fault for s in rejected)
    assert all(s.cause["exceptions"][0]["type"] == "CircuitOpen" for s in rejected)  # type: ignore[index]
    # Failing fast: no wait for the API (state_ms 0).
    assert all(seconds(s.end_time) == seconds(s.start_time) for s in rejected)
    assert result.component("Partner")["Requests"] == 3
    assert result.component("Caller")["Errors"] == 8 and balanced(result.summary)


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    # Failures at 0 and 0.5 s, a success at 1 s, then failures: the circuit opens at the third in a row.
    result = run(guarded(), calls(8), faults=outage(0, 0.9) + outage(1.1, 10))
    transitions = result.component("Breaker")["Transitions"]
    assert transitions[0]["state"] == "open" and transitions[0]["at_s"] == pytest.approx(2.5 + 0.01, abs=0.01)


def test_after_open_s_a_probe_goes_through_and_its_success_closes_the_circuit() -> None:
    result = run(guarded(), calls(24), duration_s=12, faults=outage(0, 3))
    breaker = result.component("Breaker")
    states = [t["state"] for t in breaker["Transitions"]]
    assert states == ["open", "half_open", "closed"]
    opened, half_open, closed = (t["at_s"] for t in breaker["Transitions"])
    assert half_open >= opened + 5
    probes = [s for s in breaker_segments(result) if s.annotations.get("probe")]
    assert len(probes) == 1 and reached_partner(probes[0]) and probes[0].annotations["outcome"] == "ok"
    assert all(reached_partner(s) for s in breaker_segments(result) if seconds(s.start_time) > closed)
    assert breaker["State"] == "closed" and breaker["TimesOpened"] == 1


def test_the_circuit_is_half_open_from_the_end_of_open_s_even_before_the_next_call() -> None:
    # Three failing calls open the circuit at about 1 s; the next call comes only at 20 s.
    sources = [*calls(3), {"target": "Caller", "rate": {"per_second": 1}, "count": 1, "start_s": 20.0}]
    result = run(guarded(), sources, duration_s=21, faults=outage(0, 3))
    opened, half_open = result.component("Breaker")["Transitions"][:2]
    assert (opened["state"], half_open["state"]) == ("open", "half_open")
    assert half_open["at_s"] == pytest.approx(opened["at_s"] + 5.0, abs=0.001)
    # A live sample between the two sees it half-open, though no call has asked since.
    quiet = run(guarded(), calls(3), duration_s=2, drain_s=10, faults=outage(0, 3))
    breaker = quiet.sim.components["Breaker"]
    assert breaker.gauges() == {"open": 1.0}
    quiet.sim.kernel.run(until=quiet.sim.kernel.now + 6.0)
    assert breaker.gauges() == {"open": 0.5}


def test_a_failing_probe_opens_the_circuit_again_for_another_open_s() -> None:
    result = run(guarded(), calls(40), duration_s=20, faults=outage(0, 8))
    states = [t["state"] for t in result.component("Breaker")["Transitions"]]
    assert states[:4] == ["open", "half_open", "open", "half_open"]
    assert states[-1] == "closed" and result.component("Breaker")["TimesOpened"] == 2


def test_while_half_open_only_the_probes_go_through_and_the_rest_fail_fast() -> None:
    result = run(guarded(half_open_probes=2, open_s=1), calls(80, per_second=20), duration_s=4,
                 faults=outage(0, 0.2))
    half_open = [s for s in breaker_segments(result) if s.annotations["breaker"] == "half_open"]
    probes = [s for s in half_open if s.annotations.get("probe")]
    assert len(probes) == 2 and all(reached_partner(s) for s in probes)
    assert len(half_open) > len(probes)
    assert all(not reached_partner(s) for s in half_open if not s.annotations.get("probe"))


def test_reading_the_state_takes_state_ms_before_each_call() -> None:
    result = run(guarded(state_ms=4), calls(1))
    (segment,) = result.named("Breaker")
    (partner,) = segment.subsegments or []
    assert seconds(partner.start_time) - seconds(segment.start_time) == pytest.approx(0.004, abs=1e-6)


def test_timeouts_count_as_failures() -> None:
    document = guarded()
    document["components"][2]["behavior"]["timeout_ms"] = 50
    result = run(document, calls(5))
    assert result.component("Breaker")["TimesOpened"] == 1 and result.component("Partner")["Requests"] == 3


# Driven by events: the caller calls the partner itself and EventBridge reports the outcomes -----
def event_driven(**breaker: Any) -> dict[str, Any]:
    outcomes = {"source": ["lambda"], "$or": [
        {"detail-type": ["Lambda Function Invocation Result - Success"]},
        {"detail": {"responsePayload": {"errorType": [{"anything-but": "CircuitOpen"}]}}}]}
    return topology(
        [{"id": "Caller", "kind": "lambda", "properties": {"Timeout": 30, "MaximumRetryAttempts": 0},
          "behavior": {"duration_ms": 10, "cold_start_ms": 0}},
         {"id": "Breaker", "kind": "circuitbreaker",
          "behavior": {"failure_threshold": 3, "open_s": 5, "state_ms": 0, **breaker}},
         {"id": "Partner", "kind": "http", "behavior": {"latency_ms": 100}},
         {"id": "Outcomes", "kind": "eventbridge"}],
        [{"source": "Caller", "target": "Breaker", "role": "request"},
         {"source": "Caller", "target": "Partner", "role": "request"},
         {"source": "Caller", "target": "Outcomes", "role": "on_success"},
         {"source": "Caller", "target": "Outcomes", "role": "on_failure"},
         {"source": "Outcomes", "target": "Breaker", "role": "rule", "properties": {"EventPattern": outcomes}}],
    )


def async_calls(count: int) -> list[dict[str, Any]]:
    return [{"target": "Client", "rate": {"per_second": 2}, "count": count, "payload": {"n": "$seq"}}]


def with_client(document: dict[str, Any]) -> dict[str, Any]:
    document["components"].insert(0, {"id": "Client", "kind": "client"})
    document["connections"].insert(0, {"source": "Client", "target": "Caller", "role": "event"})
    return document


def test_failure_events_delivered_by_a_rule_open_a_breaker_that_only_checks_the_state() -> None:
    result = run(with_client(event_driven()), async_calls(40), faults=outage(0, 3), duration_s=20)
    breaker = result.component("Breaker")
    states = [t["state"] for t in breaker["Transitions"]]
    # Three failures reported by events open it; after open_s a check goes through as the probe,
    # its reported success closes it.
    assert states == ["open", "half_open", "closed"]
    reports = [s for s in result.named("Breaker") if "reported" in s.annotations]
    checks = [s for s in result.named("Breaker") if "reported" not in s.annotations]
    assert {s.annotations["reported"] for s in reports} == {"failure", "success"}
    # The fast fails are not reported back (the rule filters CircuitOpen out), so they never reopen it.
    rejected = [s for s in checks if s.annotations["outcome"] == "rejected"]
    assert rejected and breaker["CallsRejected"] == len(rejected)
    # The three calls made before the reports opened it; the ones after it opened failed fast.
    assert breaker["Failures"] == sum(s.annotations["reported"] == "failure" for s in reports) == 3
    assert len(checks) == 40
    assert balanced(result.summary)


def test_a_breaker_with_no_protected_call_still_fails_fast_while_open() -> None:
    result = run(with_client(event_driven()), async_calls(20), faults=outage(0, 3), duration_s=10)
    opened_at = result.component("Breaker")["Transitions"][0]["at_s"]
    later = [s for s in result.named("Breaker") if "reported" not in s.annotations
             and opened_at < seconds(s.start_time) < opened_at + 5]
    assert later and all(s.annotations["outcome"] == "rejected" for s in later)
    assert all(not any(sub.name == "Partner" for sub in s.subsegments or []) for s in result.named("Caller")
               if opened_at < seconds(s.start_time) < opened_at + 5 and s.annotations["outcome"] != "ok")
