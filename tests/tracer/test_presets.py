"""Workload presets send where outside traffic enters, never into a DLQ or a queue-fed function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.definitions import MAX_DRAIN_S
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


def test_the_poison_preset_drains_until_its_last_poison_message_is_dead_lettered() -> None:
    # Scalable Webhook's queue hides a message 60 s and dead-letters it at the 5th receive: a
    # 2-minute drain ended with every poison message still cycling, and the page showed none in the DLQ.
    from emulator.simulation import Simulation

    document = example("scalable-webhook")
    poison = next(preset["workload"] for preset in presets(document) if preset["id"] == "poison")
    assert poison["drain_s"] >= 60 * 5
    topology = load_topology(document)
    summary = Simulation(topology, load_workload(poison, topology)).run()
    assert summary["messages"]["dead_lettered"] > 0 and summary["messages"]["in_flight"] == 0


@pytest.mark.parametrize("role", ["dead_letter", "on_failure"])
def test_the_drain_covers_lambdas_asynchronous_retries_too(role: str) -> None:
    document = {"format": "wiretap.topology/1", "components": [
        {"id": "Caller", "kind": "client"}, {"id": "Worker", "kind": "lambda"}, {"id": "Failed", "kind": "sqs"}],
        "connections": [{"source": "Caller", "target": "Worker", "role": "event"},
                        {"source": "Worker", "target": "Failed", "role": role}]}
    poison = next(preset["workload"] for preset in presets(document) if preset["id"] == "poison")
    assert poison["drain_s"] >= 180  # retried about 60 s, then 120 s after that


def test_every_templates_design_is_offered_its_own_workload_first() -> None:
    from designer.catalog import templates
    from tracer.presets import offered

    for template in templates():
        first = offered(template.topology, template.id)[0]
        assert first["id"] == "template" and first["template"] == template.id, template.id
        assert first["workload"]["name"] == template.name
        assert first["workload"]["sources"] == template.workload["sources"]
    assert offered(example("scalable-webhook"), "no-such-template")[0]["id"] == "steady"
    assert offered(example("scalable-webhook"))[0]["id"] == "steady"


def test_the_poison_drain_of_a_queue_that_redrives_after_days_stays_within_a_runs_longest_drain() -> None:
    # 1,000 receives 12 hours apart would be a drain of 500 days, which no workload may ask for.
    document = {"format": "wiretap.topology/1", "components": [
        {"id": "Inbox", "kind": "sqs", "properties": {"VisibilityTimeout": 43200}}, {"id": "Dlq", "kind": "sqs"}],
        "connections": [{"source": "Inbox", "target": "Dlq", "role": "dead_letter",
                         "properties": {"maxReceiveCount": 1000}}]}
    poison = next(preset["workload"] for preset in presets(document) if preset["id"] == "poison")
    assert poison["drain_s"] == MAX_DRAIN_S
    load_workload(poison, load_topology(document))
