"""Workload documents and sources: validation, arrivals, generators."""

from __future__ import annotations

import itertools

import pytest

from emulator.problems import InvalidDocument
from emulator.topology import load_topology
from emulator.workload import check_workload, load_workload
from tests.emulator.scenario import run, topology

API = topology([{"id": "Browser", "kind": "client"}, {"id": "Api", "kind": "apigateway"},
                {"id": "Items", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"}}],
               [{"source": "Browser", "target": "Api", "role": "request"},
                {"source": "Api", "target": "Items", "role": "request"}])


def workload(**source: object) -> dict:
    return {"format": "wiretap.workload/1", "seed": 1, "duration_s": 10,
            "sources": [{"target": "Browser", "rate": {"per_second": 10}, **source}]}


def test_a_target_that_is_not_an_entry_point_is_refused_naming_the_entry_points() -> None:
    document = {"format": "wiretap.workload/1", "seed": 1, "duration_s": 5,
                "sources": [{"target": "Nowhere", "rate": {"per_second": 1}}]}
    (problem,) = check_workload(document, load_topology(API))
    assert problem.pointer == "/sources/0/target" and "components: Browser, Api, Items" in problem.message


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64, 1.5, "7", True])
def test_a_seed_outside_what_a_signed_64_bit_integer_holds_is_refused(seed: object) -> None:
    (problem,) = check_workload({**workload(), "seed": seed}, load_topology(API))

    assert problem.pointer == "/seed"
    assert problem.message.startswith("must be a whole number from 0 to 9223372036854775807 (2**63 - 1)")


def test_the_largest_seed_is_a_seed() -> None:
    assert load_workload({**workload(), "seed": 2**63 - 1}, load_topology(API)).seed == 2**63 - 1


def test_unknown_generators_and_fault_kinds_are_errors() -> None:
    document = workload(payload={"id": "$sequence"})
    document["faults"] = [{"component": "Items", "kind": "meltdown", "from_s": 1, "to_s": 2}]
    with pytest.raises(InvalidDocument) as error:
        load_workload(document, load_topology(API))
    text = str(error.value)
    assert "/sources/0/payload/id" in text and "unknown generator '$sequence'" in text
    assert "/faults/0/kind" in text and "unavailable, slow, error_rate, throttle" in text


def test_constant_arrivals_are_evenly_spaced_and_stop_at_duration() -> None:
    result = run(API, [{"target": "Browser", "rate": {"per_second": 4}}], duration_s=2)
    starts = sorted(s.start_time for s in result.named("Browser"))
    assert len(starts) == 8
    assert all(abs((b - a) - 0.25) < 1e-6 for a, b in itertools.pairwise(starts))


def test_count_stops_a_source_early() -> None:
    result = run(API, [{"target": "Browser", "rate": {"per_second": 100}, "count": 7}])
    assert result.summary["messages"]["accepted"] == 7


def test_a_ramp_changes_the_rate_at_its_steps() -> None:
    result = run(API, [{"target": "Browser", "rate": {"per_second": 10},
                        "ramp": [{"at_s": 5, "per_second": 100}]}], duration_s=10)
    assert result.summary["messages"]["accepted"] == 50 + 500


def test_poisson_arrivals_average_the_rate() -> None:
    result = run(API, [{"target": "Browser", "rate": {"per_second": 50, "arrival": "poisson"}}], duration_s=60)
    assert 2700 < result.summary["messages"]["accepted"] < 3300


def test_generators_vary_payloads_reproducibly_from_the_seed() -> None:
    source = {"target": "Browser", "rate": {"per_second": 10}, "count": 20,
              "payload": {"n": "$seq", "amount": {"$uniform": [1, 6]}, "store": {"$choice": ["eu", "us"]}}}
    first = run(API, [source], seed=3)
    again = run(API, [source], seed=3)
    other = run(API, [source], seed=4)
    assert [s.metadata for s in first.named("Browser")] == [s.metadata for s in again.named("Browser")]
    assert first.summary == again.summary
    assert first.summary != other.summary
