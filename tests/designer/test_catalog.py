"""The catalog the designer serves is the emulator's, plus icons; the templates are the examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from designer import catalog
from emulator import catalog as emulator_catalog
from emulator.findings import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "topology.json").is_file())


@pytest.fixture
def served(client: Client, alice: Any) -> dict[str, Any]:
    client.force_login(alice)
    response = client.get("/api/catalog/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.django_db
def test_every_emulator_kind_is_served_with_the_same_schemas_and_an_icon(served: dict[str, Any]) -> None:
    described = emulator_catalog.describe()["kinds"]

    assert [kind["name"] for kind in served["kinds"]] == list(emulator_catalog.KINDS)
    for kind, expected in zip(served["kinds"], described, strict=True):
        assert {key: value for key, value in kind.items() if key != "icon"} == expected
        assert kind["icon"] == f"/static/designer/icons/{kind['name']}.svg"


@pytest.mark.django_db
def test_every_emulator_role_is_served_with_its_pairs_and_schema(served: dict[str, Any]) -> None:
    assert served["roles"] == emulator_catalog.describe()["roles"]
    assert [role["name"] for role in served["roles"]] == list(emulator_catalog.ROLES)


@pytest.mark.django_db
def test_every_example_is_a_template(served: dict[str, Any]) -> None:
    assert sorted(t["id"] for t in served["templates"]) == EXAMPLE_NAMES
    for template in served["templates"]:
        assert set(template) == {"id", "name", "summary", "explanation", "topology", "workload"}
        assert template["workload"]["format"] == "wiretap.workload/1"


@pytest.mark.parametrize("template", catalog.templates(), ids=lambda t: t.id)
def test_every_template_runs_without_errors(template: catalog.Template) -> None:
    errors = [problem for problem in validate(template.topology) if problem.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("template", catalog.templates(), ids=lambda t: t.id)
def test_every_template_has_a_name_and_a_one_sentence_summary(template: catalog.Template) -> None:
    assert template.name and not template.name.startswith("#")
    assert template.summary.endswith((".", "!", "?"))
    assert 20 < len(template.summary) < 300
    assert "**" not in template.summary and "\n" not in template.summary


def test_the_name_is_the_readme_heading_and_the_summary_what_the_run_shows() -> None:
    webhook = catalog.template("scalable-webhook")

    assert webhook is not None
    assert webhook.name == "Scalable Webhook"
    assert webhook.summary == "During the spike (400 calls a second for 10 s) the queue absorbs the burst: Inbox " \
                              "depth and age of the oldest message rise and fall, the function never runs more " \
                              "than 10 at once, and the database never sees more than 10 connections."


def test_a_readme_without_what_the_run_shows_gives_its_first_sentence() -> None:
    readme = "# Title\n\nA queue feeds a function. It retries.\n\nMore.\n"

    assert catalog.summary_of(readme) == "A queue feeds a function."


def test_the_lesson_is_the_whole_what_the_run_shows_paragraph_as_plain_text() -> None:
    readme = ("# Title\n\nIntro.\n\n**What the run shows.** The queue absorbs the burst. The `Writer` never runs\n"
              "more than 10 at once.\n\nSet `MaxConcurrency` to 50 and run again.\n")

    assert catalog.lesson_of(readme) == "The queue absorbs the burst. The Writer never runs more than 10 at once."
    assert catalog.lesson_of("# Title\n\nNo lesson here.\n") == ""
    for template in catalog.templates():
        assert template.lesson.startswith(template.summary), template.id


def test_an_icon_exists_for_every_kind() -> None:
    static = Path(__file__).resolve().parents[2] / "static"
    missing = [kind for kind in emulator_catalog.KINDS if not (static / "designer" / "icons" / f"{kind}.svg").is_file()]
    assert missing == []


@pytest.mark.django_db
def test_the_catalog_is_encoded_once_a_process_and_answers_the_catalog(client: Client, alice: Any,
                                                                        monkeypatch: Any) -> None:
    client.force_login(alice)
    built = []
    build = catalog.catalog
    monkeypatch.setattr(catalog, "catalog", lambda: built.append(1) or build())

    answers = [client.get("/api/catalog/") for _ in range(3)]

    assert len(built) <= 1  # none when an earlier test of this process had it encoded already
    assert all(answer.status_code == 200 and answer["Content-Type"] == "application/json" for answer in answers)
    assert answers[-1].json() == build()
