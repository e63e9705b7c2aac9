"""The run pages: the Run form's configuration (presets, the template's workload first, "Run
again"), the lesson of a template's design, the seed a run used."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.test import Client

from designer import catalog
from designer import services as designer
from designer.models import Topology
from tests.tracer.conftest import workload
from tracer import services
from tracer.models import Run

pytestmark = pytest.mark.django_db


def config_of(page: str, script_id: str) -> Any:
    found = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert found, script_id
    return json.loads(found.group(1))


def run_form(client: Client, topology: Topology, query: str = "") -> tuple[str, Any]:
    response = client.get(f"/topologies/{topology.pk}/run/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    return page, config_of(page, "run-new-config")


def test_a_templates_design_is_offered_the_templates_own_workload_first_named_after_it(
        as_alice: Client, topology: Topology) -> None:
    template = catalog.template("scalable-webhook")
    assert template is not None
    _, config = run_form(as_alice, topology)

    first = config["presets"][0]
    assert first["id"] == "template" and first["workload"]["name"] == template.name
    assert first["workload"]["sources"] == template.workload["sources"]
    assert first["workload"]["seed"] == template.workload["seed"]
    assert [preset["id"] for preset in config["presets"][1:]] == ["steady", "spike", "ramp", "poison", "outage"]


def test_a_design_edited_past_its_templates_workload_is_offered_the_presets_only(
        as_alice: Client, alice: Any, topology: Topology) -> None:
    document = designer.latest_version(topology).document
    for component in document["components"]:
        if component["id"] == "Partner":
            component["id"] = "Caller"
    for connection in document["connections"]:
        connection["source"] = "Caller" if connection["source"] == "Partner" else connection["source"]
    designer.save_topology(topology, 1, document, alice)

    _, config = run_form(as_alice, Topology.objects.get(pk=topology.pk))
    assert config["presets"][0]["id"] == "steady"


def test_a_design_of_ones_own_has_no_lesson_and_presets_without_a_seed(as_alice: Client, alice: Any) -> None:
    own = designer.create_topology(alice, document=designer.latest_version(
        designer.create_topology(alice, template_id="scalable-webhook").topology).document).topology
    page, config = run_form(as_alice, own)

    assert config["lesson"] is None and 'class="lesson"' not in page
    assert config["presets"][0]["id"] == "steady"
    assert all("seed" not in preset["workload"] for preset in config["presets"])


def test_the_lesson_of_a_templates_design_is_on_the_run_form_and_the_run_page(
        as_alice: Client, alice: Any, topology: Topology) -> None:
    template = catalog.template("scalable-webhook")
    assert template is not None and "400 calls a second" in template.lesson
    page, config = run_form(as_alice, topology)
    assert config["lesson"] == {"template": template.name, "text": template.lesson}
    assert html.escape(template.lesson) in page

    run = services.start_run(alice, topology, workload())
    run_page = as_alice.get(f"/runs/{run.pk}/").content.decode()
    assert html.escape(template.lesson) in run_page


def test_the_run_page_shows_the_seed_the_run_used_and_run_again_keeps_workload_and_seed(
        as_alice: Client, alice: Any, topology: Topology) -> None:
    unseeded = {key: value for key, value in workload().items() if key != "seed"}
    run = services.start_run(alice, topology, unseeded, speed=100)
    page = as_alice.get(f"/runs/{run.pk}/").content.decode()
    assert f'<span id="run-seed">{run.seed}</span>' in page
    again_url = config_of(page, "run-config")["urls"]["again"]
    assert again_url == f"/topologies/{topology.pk}/run/?again={run.pk}"

    _, config = run_form(as_alice, topology, f"?again={run.pk}")
    assert config["again"] == {"run": run.pk, "workload": unseeded, "seed": str(run.seed), "speed": 100.0}


def test_run_again_of_someone_elses_run_fills_nothing(client: Client, alice: Any, bob: Any, topology: Topology,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.start_run(alice, topology, workload())
    bobs = designer.create_topology(bob, template_id="scalable-webhook").topology
    client.force_login(bob)

    for query in (f"?again={run.pk}", "?again=nope", "?again="):
        _, config = run_form(client, bobs, query)
        assert config["again"] is None, query
    assert Run.objects.count() == 1
