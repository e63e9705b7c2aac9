"""Loading topology documents: every problem at once, with JSON pointers and what is valid."""

from __future__ import annotations

import pytest

from emulator.problems import InvalidDocument
from emulator.topology import check_topology, load_topology
from tests.emulator.scenario import topology


def messages(document: dict) -> list[str]:
    return [str(problem) for problem in check_topology(document)]


def test_omitted_properties_take_the_aws_defaults() -> None:
    loaded = load_topology(topology([{"id": "Worker", "kind": "lambda"}]))
    properties = loaded.components["Worker"].properties
    assert properties["Timeout"] == 3
    assert properties["MemorySize"] == 128
    assert properties["MaximumRetryAttempts"] == 2


def test_every_problem_is_reported_at_once_with_its_pointer() -> None:
    document = topology(
        [{"id": "Worker", "kind": "lambda", "properties": {"Timeout": 901, "Memory": 128}},
         {"id": "9bad", "kind": "lambda"},
         {"id": "Thing", "kind": "mainframe"}],
        [{"source": "Worker", "target": "Nowhere", "role": "request"}],
    )
    found = messages(document)
    assert any(m.startswith("error /components/0/properties/Timeout (Worker): Timeout must be between 1 and 900")
               for m in found)
    assert any("/components/0/properties/Memory" in m and "valid: Timeout, MemorySize" in m for m in found)
    assert any("/components/1/id" in m for m in found)
    assert any("/components/2/kind" in m and "valid kinds:" in m for m in found)
    assert any("/connections/0/target" in m for m in found)
    assert len(found) == 5


def test_a_role_invalid_for_the_pair_names_the_valid_roles() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Queue", "target": "Worker", "role": "subscription"}])
    (found,) = messages(document)
    assert "a subscription connection cannot go from sqs to lambda" in found
    assert "valid roles from sqs to lambda: event_source" in found


def test_an_ill_typed_property_is_an_error_naming_the_type() -> None:
    document = topology([{"id": "Worker", "kind": "lambda", "properties": {"Timeout": "thirty"}}])
    (found,) = messages(document)
    assert "Timeout must be an integer, got the string 'thirty'" in found


def test_a_property_only_valid_for_other_pairs_is_refused() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Queue", "target": "Worker", "role": "event_source",
                          "properties": {"BisectBatchOnFunctionError": True}}])
    (found,) = messages(document)
    assert "/connections/0/properties/BisectBatchOnFunctionError" in found


def test_a_queue_redrive_needs_max_receive_count() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Dlq", "kind": "sqs"}],
                        [{"source": "Queue", "target": "Dlq", "role": "dead_letter"}])
    (found,) = messages(document)
    assert "/connections/0/properties/maxReceiveCount" in found


def test_an_invalid_when_pattern_is_reported_with_aws_reason() -> None:
    document = topology([{"id": "Router", "kind": "lambda"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Router", "target": "Worker", "role": "request",
                          "properties": {"when": {"type": []}}}])
    (found,) = messages(document)
    assert "/connections/0/properties/when" in found and "Empty arrays are not allowed" in found


def test_durations_accept_a_number_or_median_and_p99() -> None:
    good = topology([{"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": {"median": 20, "p99": 90}}}])
    assert messages(good) == []
    bad = topology([{"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": {"median": 90, "p99": 20}}}])
    assert "must not be below the median" in messages(bad)[0]


def test_wrong_format_and_unknown_top_level_fields_are_errors() -> None:
    with pytest.raises(InvalidDocument) as error:
        load_topology({"format": "wiretap.topology/2", "components": [], "extra": 1})
    text = str(error.value)
    assert '/format: must be "wiretap.topology/1"' in text and "/extra: unknown field" in text


def test_duplicate_ids_are_refused() -> None:
    document = topology([{"id": "Worker", "kind": "lambda"}, {"id": "Worker", "kind": "lambda"}])
    assert "duplicate id 'Worker'" in messages(document)[0]
