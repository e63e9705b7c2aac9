"""Workload documents and sources: validation, arrivals, generators."""

from __future__ import annotations

import itertools

import pytest

from emulator.problems import InvalidDocument
from emulator.topology import load_topology
from emulator.workload import check_workload, load_workload, schema
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
    assert "/faults/0/kind" in text and "'unavailable', 'slow', 'error_rate', 'throttle'" in text


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


# Shapes and ranges ---------------------------------------------------------------------------------------------------
def problems_of(document: dict) -> dict[str, str]:
    found = check_workload(document, load_topology(API))
    pointers = [problem.pointer for problem in found]
    assert len(set(pointers)) == len(pointers), f"two problems at one pointer: {found}"
    return {problem.pointer: problem.message for problem in found}


@pytest.mark.parametrize(("change", "where", "says"), [
    ({"duration_s": 0}, "/duration_s", "duration_s must be above 0 and at most 604800 seconds, got 0"),
    ({"duration_s": 1e9}, "/duration_s", "at most 604800 seconds"),
    ({"duration_s": float("inf")}, "/duration_s", "duration_s must be a finite number"),
    ({"drain_s": -1}, "/drain_s", "drain_s must be between 0 and 2592000 seconds, got -1"),
    ({"drain_s": float("nan")}, "/drain_s", "drain_s must be a finite number"),
])
def test_the_runs_durations_must_be_finite_and_within_their_range(change: dict, where: str, says: str) -> None:
    found = problems_of({**workload(), **change})
    assert list(found) == [where] and says in found[where]


@pytest.mark.parametrize(("source", "where", "says"), [
    ({"rate": {"per_second": 0}}, "/sources/0/rate/per_second", "above 0 and at most 1000000 messages/s, got 0"),
    ({"rate": {"per_second": 1e12}}, "/sources/0/rate/per_second", "at most 1000000 messages/s"),
    ({"rate": "fast"}, "/sources/0/rate", "rate must be an object, got the string 'fast'"),
    ({"rate": {}}, "/sources/0/rate/per_second", "rate needs per_second"),
    ({"ramp": [{"at_s": -5, "per_second": 1}]}, "/sources/0/ramp/0/at_s", "between 0 and 604800 seconds"),
    ({"ramp": [[5, 1]]}, "/sources/0/ramp/0", "ramp step must be an object, got an array"),
    ({"count": 0}, "/sources/0/count", "count must be between 1 and 100000000, got 0"),
    ({"count": 2.5}, "/sources/0/count", "count must be an integer, got 2.5"),
    ({"poison_rate": 1.5}, "/sources/0/poison_rate", "poison_rate must be between 0 and 1, got 1.5"),
    ({"start_s": 1e300}, "/sources/0/start_s", "start_s must be between 0 and 604800 seconds"),
    ({"attributes": ["store"]}, "/sources/0/attributes", "attributes must be an object, got an array"),
    ({"attributes": {"": "x"}}, "/sources/0/attributes/", "attribute name must not be empty"),
])
def test_each_bad_part_of_a_source_is_refused_at_its_pointer(source: dict, where: str, says: str) -> None:
    found = problems_of(workload(**source))
    assert list(found) == [where] and says in found[where]


@pytest.mark.parametrize(("fault", "where", "says"), [
    ({"kind": "error_rate", "value": 2}, "/faults/0/value", "value of a error_rate fault (the probability a "
     "request fails) must be between 0 and 1, got 2"),
    ({"kind": "slow", "value": 1e12}, "/faults/0/value", "value must be between 0 and 3600000, got 1000000000000"),
    ({"kind": "throttle", "value": 2e6}, "/faults/0/value", "must be between 0 and 1000000, got 2000000"),
    ({"kind": "throttle"}, "/faults/0/value", "a throttle fault needs value (requests a second allowed)"),
    ({"kind": "unavailable", "to_s": 1e12}, "/faults/0/to_s", "to_s must be between 0 and 3196800 seconds"),
    ({"kind": "unavailable", "from_s": "now"}, "/faults/0/from_s", "from_s must be a number, got the string 'now'"),
])
def test_each_bad_part_of_a_fault_is_refused_at_its_pointer(fault: dict, where: str, says: str) -> None:
    found = problems_of({**workload(), "faults": [{"component": "Items", **fault}]})
    assert list(found) == [where] and says in found[where]


def test_every_problem_of_a_workload_is_reported_at_once() -> None:
    document = {**workload(rate={"per_second": -1}, count=0), "drain_s": "long", "faults": ["Items down"]}
    assert sorted(problems_of(document)) == ["/drain_s", "/faults/0", "/sources/0/count", "/sources/0/rate/per_second"]


def test_a_null_count_means_the_source_sends_until_arrivals_stop() -> None:
    assert load_workload(workload(count=None), load_topology(API)).sources[0].count is None


def test_the_workload_schema_describes_the_same_ranges_and_accepts_every_example() -> None:
    import json
    from pathlib import Path

    import jsonschema

    described = schema()
    jsonschema.Draft202012Validator.check_schema(described)
    rate = described["properties"]["sources"]["items"]["properties"]["rate"]["properties"]["per_second"]
    assert (rate["exclusiveMinimum"], rate["maximum"]) == (0, 1_000_000)
    for path in sorted((Path(__file__).resolve().parents[2] / "examples").glob("*/workload.json")):
        jsonschema.validate(json.loads(path.read_text()), described)
    assert list(jsonschema.Draft202012Validator(described).iter_errors({**workload(), "drain_s": -1}))


@pytest.mark.parametrize(("payload", "where"), [
    # Weights of 1e308 each passed and the run crashed: random.choices refuses a total that is not finite.
    ({"k": {"$choice": ["a", "b"], "weights": [1e308, 1e308]}}, "/sources/0/payload/k/weights"),
    ({"k": {"$uniform": [-1e308, 1e308]}}, "/sources/0/payload/k/$uniform"),
])
def test_generators_whose_arithmetic_overflows_are_refused(payload: dict, where: str) -> None:
    assert list(problems_of(workload(payload=payload))) == [where]


def test_a_generator_key_with_a_slash_is_reported_at_its_escaped_pointer() -> None:
    # Found by the property tests: {"$/": 1} was reported at /sources/0/payload/$/, which names nothing.
    assert list(problems_of(workload(payload={"a/b": {"$/": 1}}))) == ["/sources/0/payload/a~1b/$~1"]
