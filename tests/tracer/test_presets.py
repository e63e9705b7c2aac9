"""Workload presets send where outside traffic enters, never into a DLQ or a queue-fed function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.topology import load_topology
from emulator.workload import load_workload
from tracer.presets import entry_points, presets

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name / "topology.json").read_text())
    return document


def test_a_design_with_a_client_is_entered_through_the_client() -> None:
    assert entry_points(example("scalable-webhook")) == ["Partner"]


def test_without_a_client_traffic_enters_where_nothing_sends() -> None:
    document = {"format": "wiretap.topology/1", "components": [
        {"id": "Jobs", "kind": "sqs"}, {"id": "JobsDLQ", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"}],
        "connections": [{"source": "Jobs", "target": "Worker", "role": "event_source"},
                        {"source": "Jobs", "target": "JobsDLQ", "role": "dead_letter",
                         "properties": {"maxReceiveCount": 5}}]}
    assert entry_points(document) == ["Jobs"]


def test_a_loop_still_gets_one_entry() -> None:
    document = {"format": "wiretap.topology/1", "components": [
        {"id": "A", "kind": "lambda"}, {"id": "B", "kind": "lambda"}],
        "connections": [{"source": "A", "target": "B", "role": "event"},
                        {"source": "B", "target": "A", "role": "event"}]}
    assert entry_points(document) == ["A"]


def test_every_preset_of_every_example_is_a_valid_workload_sent_to_its_entries() -> None:
    for directory in sorted(EXAMPLES.iterdir()):
        document = example(directory.name)
        topology = load_topology(document)
        for preset in presets(document):
            workload = load_workload(preset["workload"], topology)
            assert {source.target for source in workload.sources} == set(entry_points(document)), directory.name
