"""What a workload asks for before it runs: expected messages, peak rate, virtual time, and where each comes from."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.volume import measure
from emulator.workload import load_workload
from tests.emulator.scenario import run, topology

API = topology([{"id": "Api", "kind": "apigateway"}])


def volume(sources: list[dict[str, Any]], duration_s: float = 60, **extra: Any) -> Any:
    return measure(load_workload({"format": "wiretap.workload/1", "duration_s": duration_s, "sources": sources,
                                  **extra}))


def test_a_constant_rate_sends_rate_times_duration_from_its_rate_field() -> None:
    found = volume([{"target": "Api", "rate": {"per_second": 10}}])
    assert (found.messages, found.messages_pointer) == (600, "/sources/0/rate/per_second")
    assert (found.peak_per_second, found.peak_pointer) == (10, "/sources/0/rate/per_second")


def test_a_ramp_counts_each_step_and_points_at_the_one_that_sends_most() -> None:
    found = volume([{"target": "Api", "rate": {"per_second": 30},
                     "ramp": [{"at_s": 20, "per_second": 400}, {"at_s": 30, "per_second": 30}]}])
    assert found.messages == 30 * 20 + 400 * 10 + 30 * 30
    assert found.messages_pointer == "/sources/0/ramp/0/per_second"
    assert (found.peak_per_second, found.peak_at_s, found.peak_pointer) == (400, 20, "/sources/0/ramp/0/per_second")


def test_a_count_caps_the_messages_and_is_what_to_change() -> None:
    found = volume([{"target": "Api", "rate": {"per_second": 1_000_000}, "count": 100}])
    assert (found.messages, found.messages_pointer) == (100, "/sources/0/count")
    assert found.peak_per_second == 1_000_000  # the rate is still the rate


def test_sources_add_up_at_the_moment_they_overlap() -> None:
    found = volume([{"target": "Api", "rate": {"per_second": 10}},
                    {"target": "Api", "rate": {"per_second": 20}, "start_s": 30},
                    {"target": "Api", "rate": {"per_second": 500}, "start_s": 60}])  # starts as arrivals end
    assert found.messages == 10 * 60 + 20 * 30
    assert (found.peak_per_second, found.peak_at_s) == (30, 30)
    assert [span.source for span in found.peak_spans] == [1, 0]


def test_the_virtual_time_is_duration_plus_drain_with_its_default() -> None:
    assert volume([{"target": "Api", "rate": {"per_second": 1}}]).virtual_s == 60 + 600
    assert volume([{"target": "Api", "rate": {"per_second": 1}}], drain_s=5).virtual_s == 65


@pytest.mark.parametrize("source", [
    {"target": "Api", "rate": {"per_second": 7}},
    {"target": "Api", "rate": {"per_second": 5}, "ramp": [{"at_s": 3, "per_second": 50}, {"at_s": 6, "per_second": 0}],
     "start_s": 1},
    {"target": "Api", "rate": {"per_second": 40}, "count": 123},
])
def test_the_expected_messages_are_what_a_constant_run_accepts(source: dict[str, Any]) -> None:
    ran = run(API, [source], duration_s=10, drain_s=1)
    expected = volume([source], duration_s=10).messages
    assert ran.summary["messages"]["accepted"] + ran.summary["messages"]["rejected"] == pytest.approx(expected, abs=1)


def test_the_largest_message_is_its_templates_json_and_names_its_source() -> None:
    found = volume([{"target": "Api", "rate": {"per_second": 1}, "payload": {"n": "$seq"}},
                    {"target": "Api", "rate": {"per_second": 1}, "payload": {"blob": "x" * 1_000},
                     "attributes": {"kind": "order"}}])
    assert found.message_pointer == "/sources/1/payload"
    assert found.message_bytes == len('{"blob": "' + "x" * 1_000 + '"}') + len('{"kind": "order"}')
