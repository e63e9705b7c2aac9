"""The designer's JSON API over HTTP: answers, errors, conflicts and who may see what."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from designer import services
from designer.models import Topology, TopologyVersion
from emulator.topology import FORMAT

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name / "topology.json").read_text())
    return document


def call(client: Client, method: str, url: str, body: Any = None, raw: str | None = None) -> Any:
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return getattr(client, method.lower())(url, data=data, content_type="application/json")


@pytest.fixture
def as_alice(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


@pytest.fixture
def as_charlie(alice: Any, charlie: Any) -> Client:
    client = Client()
    client.force_login(charlie)
    return client


@pytest.fixture
def topology(alice: Any) -> Topology:
    """alice's topology at version 2: the Scalable Webhook (named so by its document)."""
    version = services.create_topology(alice, name="Orders")
    services.save_topology(version.topology, 1, example("scalable-webhook"), alice)
    version.topology.refresh_from_db()
    return version.topology


# Creating and listing -----------------------------------------------------------------------

def test_creating_an_empty_topology_answers_201_with_version_1(as_alice: Client) -> None:
    response = call(as_alice, "POST", "/api/topologies/", {"name": "Orders"})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Orders"
    assert body["version"] == 1
    assert body["author"] == "alice"
    assert body["document"] == services.empty_document("Orders")
    assert body["findings"] == []
    assert Topology.objects.get(pk=body["id"]).owner.username == "alice"


def test_creating_from_a_template_answers_its_document_and_findings(as_alice: Client) -> None:
    response = call(as_alice, "POST", "/api/topologies/", {"name": "Mistake", "template":
                                                           "sqs-visibility-timeout-mistake"})

    assert response.status_code == 201
    body = response.json()
    assert body["document"] == {**example("sqs-visibility-timeout-mistake"), "name": "Mistake"}
    assert "visibility_timeout_below_6x_function_timeout" in {f["rule"] for f in body["findings"]}


def test_creating_from_a_document(as_alice: Client) -> None:
    document = example("simple-web-service")

    response = call(as_alice, "POST", "/api/topologies/", {"name": "Web", "document": document})

    assert response.status_code == 201
    assert response.json()["document"] == {**document, "name": "Web"}


def test_the_list_holds_only_the_callers_topologies(as_alice: Client, topology: Topology, charlie: Any) -> None:
    services.create_topology(charlie, name="Charlie's")

    response = as_alice.get("/api/topologies/")

    assert response.status_code == 200
    assert response.json()["topologies"] == [{
        "id": topology.pk, "name": "Scalable Webhook", "version": 2, "updated_at": topology.updated_at.isoformat(),
        "updated_by": "alice",
    }]


# Reading, saving, conflicts -------------------------------------------------------------------

def test_reading_a_topology_answers_its_latest_version_with_findings(as_alice: Client, topology: Topology) -> None:
    body = as_alice.get(f"/api/topologies/{topology.pk}/").json()

    assert body["version"] == 2
    assert body["document"] == example("scalable-webhook")
    assert body["findings"] == [p.as_dict() for p in services.validate_document(example("scalable-webhook"))]
    assert set(body) == {"id", "name", "version", "document", "author", "created_at", "findings"}


def test_saving_answers_the_next_version(as_alice: Client, topology: Topology) -> None:
    document = example("scalable-webhook-naive")

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/",
                    {"version": 2, "document": document, "name": "Naive"})

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["name"], body["document"]) == (3, "Naive", {**document, "name": "Naive"})


def topology_reads(client: Client, method: str, path: str, body: Any = None) -> int:
    """How many SELECTs of the topology table one request makes (its answer must be 200)."""
    with CaptureQueriesContext(connection) as queries:
        assert call(client, method, path, body).status_code == 200
    return sum(query["sql"].startswith("SELECT") and 'FROM "designer_topology"' in query["sql"]
               for query in queries.captured_queries)


def test_reading_or_saving_a_topology_reads_its_row_no_more_than_it_must(as_alice: Client, topology: Topology) -> None:
    # Reading: the caller's topology, once. Saving: that, and again after the claim moved its version on.
    assert topology_reads(as_alice, "GET", f"/api/topologies/{topology.pk}/") == 1
    assert topology_reads(as_alice, "PUT", f"/api/topologies/{topology.pk}/",
                          {"version": 2, "document": example("scalable-webhook")}) == 2


def test_saving_a_stale_version_answers_409_with_the_current_state_and_overwrites_nothing(
        as_alice: Client, topology: Topology) -> None:
    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/",
                    {"version": 1, "document": services.empty_document("Wiped")})

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict"
    assert "version 2, not 1" in body["message"]
    assert body["current"]["version"] == 2
    assert body["current"]["document"] == example("scalable-webhook")
    assert topology.versions.count() == 2
    assert services.latest_version(topology).document == example("scalable-webhook")


def test_saving_an_unfinished_design_answers_200_with_its_errors(as_alice: Client, topology: Topology) -> None:
    document = example("scalable-webhook")
    document["components"][0]["kind"] = "teleporter"

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document": document})

    assert response.status_code == 200
    findings = response.json()["findings"]
    assert {"severity": "error", "pointer": "/components/0/kind"}.items() <= findings[0].items()


@pytest.mark.parametrize("raw, pointers", [
    ("{not json", [""]),
    ("[1, 2]", [""]),
    ('{"document": {}}', ["/version"]),
    ('{"version": 2}', ["/document"]),
    ('{"version": "2", "document": []}', ["/version", "/document"]),
    ('{"version": 2, "document": {"format": "x", "components": 1}}', ["/document/format", "/document/components"]),
    ('{"version": 2, "document": {"format": "wiretap.topology/1", "components": []}, "colour": "red"}',
     ["/colour"]),
    ('{"version": 2, "document": {"format": "wiretap.topology/1", "components": []}, "name": ""}', ["/name"]),
])
def test_a_bad_save_body_answers_400_naming_each_problem_and_saves_nothing(
        as_alice: Client, topology: Topology, raw: str, pointers: list[str]) -> None:
    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", raw=raw)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["message"]
    assert [p["pointer"] for p in body["problems"]] == pointers
    assert all(p["severity"] == "error" and p["message"] for p in body["problems"])
    assert topology.versions.count() == 2


@pytest.mark.parametrize("body, pointer", [
    ({"name": "   "}, "/name"),
    ({"template": "nope"}, "/template"),
    ({"document": {"format": "wiretap.topology/1"}}, "/document/components"),
    ({"template": "fifo-ordering", "document": services.empty_document("x")}, "/template"),
])
def test_a_bad_create_body_answers_400_and_creates_nothing(as_alice: Client, body: Any, pointer: str) -> None:
    response = call(as_alice, "POST", "/api/topologies/", body)

    assert response.status_code == 400
    assert [p["pointer"] for p in response.json()["problems"]] == [pointer]
    assert not Topology.objects.exists()


# Bodies the console cannot store: each answered 400 in JSON, saying what and where, on SQLite and
# PostgreSQL alike (make test runs this file on both).
UNUSABLE_BODIES = {
    "nested 10,000 deep": ("[" * 10_000 + "]" * 10_000, "", "nests arrays and objects 10,000 deep; at most 100"),
    "a lone surrogate in a name": ('{"name": "\\ud800"}', "/name", "lone surrogate (\\ud800)"),
    "a NUL character in a name": ('{"name": "Or\\u0000ders"}', "/name", "NUL characters (\\u0000) cannot be stored"),
    "a NUL character in the document": ('{"document": {"format": "wiretap.topology/1", "components": '
                                        '[{"id": "Q\\u0000", "kind": "sqs"}]}}', "/document/components/0/id",
                                        "NUL characters"),
    "an integer of 5,000 digits": ('{"name": ' + "7" * 5000 + "}", "/name", "at most 308 digits"),
    "NaN": ('{"name": NaN}', "/name", "NaN is not a JSON number"),
    "-Infinity": ('{"document": {"format": "wiretap.topology/1", "components": [], "x": -Infinity}}',
                  "/document/x", "-Infinity is not a JSON number"),
    "a number past a double": ('{"document": {"format": "wiretap.topology/1", "components": [], "x": 2e308}}',
                               "/document/x", "at most about ±1.8e308, not 2e308"),
}


@pytest.mark.parametrize("raw, pointer, message", UNUSABLE_BODIES.values(), ids=UNUSABLE_BODIES.keys())
def test_a_body_the_console_cannot_store_answers_400_in_json_saying_what_and_where(
        as_alice: Client, raw: str, pointer: str, message: str) -> None:
    response = call(as_alice, "POST", "/api/topologies/", raw=raw)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "invalid" and message in body["message"]
    assert [(p["pointer"], message in p["message"]) for p in body["problems"]] == [(pointer, True)]
    assert not Topology.objects.exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_a_version_that_is_nan_or_infinity_is_an_invalid_number_not_a_conflict(
        as_alice: Client, topology: Topology, constant: str) -> None:
    raw = f'{{"version": {constant}, "document": {json.dumps(services.empty_document("x"))}}}'

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", raw=raw)

    assert response.status_code == 400
    assert response.json()["problems"] == [{"severity": "error", "rule": "invalid", "pointer": "/version",
                                            "subject": "", "message": f"RFC 8259 has no NaN or infinities: "
                                                                      f"{constant} is not a JSON number"}]
    assert topology.versions.count() == 2


def test_a_whole_number_written_with_a_fraction_is_a_version_as_json_schema_says(
        as_alice: Client, topology: Topology) -> None:
    saved = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", raw='{"version": 2.0, "document": '
                 f'{json.dumps(services.empty_document("x"))}}}')
    restored = call(as_alice, "POST", f"/api/topologies/{topology.pk}/versions/2/restore/", raw='{"version": 3.0}')

    assert (saved.status_code, saved.json()["version"]) == (200, 3)
    assert (restored.status_code, restored.json()["version"]) == (200, 4)


@pytest.mark.parametrize("document, pointers", [
    ({"components": [], "connections": ["Queue -> Worker"]}, ["/document/connections/0"]),
    ({"components": ["Queue"], "groups": [{"id": "g"}, 7]}, ["/document/components/0", "/document/groups/1"]),
    ({"components": [], "name": 7}, ["/document/name"]),
    ({"components": [], "name": "x" * 201}, ["/document/name"]),
])
def test_a_document_whose_parts_are_not_lists_of_objects_is_not_a_topology_and_is_refused(
        as_alice: Client, topology: Topology, document: dict[str, Any], pointers: list[str]) -> None:
    sent = {"format": FORMAT, **document}

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document": sent,
                                                                          "name": "Orders"})

    assert response.status_code == 400
    assert [p["pointer"] for p in response.json()["problems"]] == pointers
    assert topology.versions.count() == 2


def test_a_name_is_measured_as_sent_before_its_whitespace_is_collapsed(as_alice: Client) -> None:
    too_long = "a" + " " * 199 + "b"

    response = call(as_alice, "POST", "/api/topologies/", {"name": too_long})

    assert response.status_code == 400
    assert response.json()["problems"][0]["message"] == "must be at most 200 characters, got 201"


def test_a_state_machine_nested_ten_parallel_states_deep_is_saved_and_checked(
        as_alice: Client, topology: Topology) -> None:
    machine: dict[str, Any] = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    for level in range(10):
        machine = {"StartAt": f"Fork{level}", "States": {f"Fork{level}": {"Type": "Parallel", "End": True,
                                                                          "Branches": [machine, machine]}}}
    document = {**services.empty_document("Deep"), "components": [
        {"id": "Flow", "kind": "stepfunctions", "properties": {"Definition": machine}}]}

    saved = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document": document})
    checked = call(as_alice, "POST", f"/api/topologies/{topology.pk}/validate/", {"document": document})

    assert saved.status_code == 200 and checked.status_code == 200
    assert [p for p in checked.json()["problems"] if p["severity"] == "error"] == []


def test_a_method_the_endpoint_does_not_take_answers_405_in_json(as_alice: Client, topology: Topology) -> None:
    response = as_alice.post(f"/api/topologies/{topology.pk}/versions/")

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"] == "method_not_allowed"


def test_deleting_answers_204_and_removes_every_version(as_alice: Client, topology: Topology) -> None:
    response = as_alice.delete(f"/api/topologies/{topology.pk}/")

    assert response.status_code == 204
    assert not Topology.objects.exists()
    assert not TopologyVersion.objects.exists()


# Versions ------------------------------------------------------------------------------------

def test_the_history_lists_versions_newest_first(as_alice: Client, topology: Topology) -> None:
    body = as_alice.get(f"/api/topologies/{topology.pk}/versions/").json()

    assert [(v["version"], v["author"]) for v in body["versions"]] == [(2, "alice"), (1, "alice")]
    assert all(set(v) == {"version", "author", "created_at"} for v in body["versions"])


def test_an_old_version_can_be_opened(as_alice: Client, topology: Topology) -> None:
    body = as_alice.get(f"/api/topologies/{topology.pk}/versions/1/").json()

    assert body["version"] == 1
    assert body["document"] == services.empty_document("Orders")


def test_a_missing_version_answers_404(as_alice: Client, topology: Topology) -> None:
    assert as_alice.get(f"/api/topologies/{topology.pk}/versions/9/").status_code == 404
    assert call(as_alice, "POST", f"/api/topologies/{topology.pk}/versions/9/restore/",
                {"version": 2}).status_code == 404


def test_restoring_answers_a_new_version_with_the_old_document(as_alice: Client, topology: Topology) -> None:
    response = call(as_alice, "POST", f"/api/topologies/{topology.pk}/versions/1/restore/", {"version": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 3
    assert body["document"] == services.empty_document("Orders")


def test_restoring_from_a_stale_version_answers_409(as_alice: Client, topology: Topology) -> None:
    response = call(as_alice, "POST", f"/api/topologies/{topology.pk}/versions/1/restore/", {"version": 1})

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert topology.versions.count() == 2


# Validation ----------------------------------------------------------------------------------

def test_validating_without_a_body_checks_the_latest_saved_version(as_alice: Client, topology: Topology) -> None:
    response = call(as_alice, "POST", f"/api/topologies/{topology.pk}/validate/")

    assert response.status_code == 200
    expected = [p.as_dict() for p in services.validate_document(example("scalable-webhook"))]
    assert response.json() == {"problems": expected}


def test_validating_a_draft_checks_the_draft_and_saves_nothing(as_alice: Client, topology: Topology) -> None:
    draft = example("sqs-visibility-timeout-mistake")

    response = call(as_alice, "POST", f"/api/topologies/{topology.pk}/validate/", {"document": draft})

    assert "visibility_timeout_below_6x_function_timeout" in {p["rule"] for p in response.json()["problems"]}
    assert topology.versions.count() == 2


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if (p / "topology.json").is_file()))
def test_validating_gives_the_findings_of_the_command_line(as_alice: Client, topology: Topology, name: str) -> None:
    path = EXAMPLES / name / "topology.json"
    command_line = subprocess.run([sys.executable, "-m", "emulator", "validate", "--json", str(path)],
                                  capture_output=True, text=True, cwd=ROOT, check=False)

    response = call(as_alice, "POST", f"/api/topologies/{topology.pk}/validate/",
                    {"document": json.loads(path.read_text())})

    assert response.json()["problems"] == json.loads(command_line.stdout)


def test_validating_a_broken_draft_lists_its_errors_with_pointers(as_alice: Client, topology: Topology) -> None:
    draft = {"format": FORMAT, "components": [{"id": "Queue", "kind": "sqs", "properties": {"VisibilityTimeout": -5}}]}

    problems = call(as_alice, "POST", f"/api/topologies/{topology.pk}/validate/", {"document": draft}).json()[
        "problems"]

    assert [(p["severity"], p["pointer"]) for p in problems if p["severity"] == "error"] == [
        ("error", "/components/0/properties/VisibilityTimeout")]
    # Then the warnings of what is well formed (the queue nothing sends to), after the errors.
    assert [p["severity"] for p in problems[1:]] == ["warning"] * (len(problems) - 1)


# Who may see what ------------------------------------------------------------------------------

def _every_endpoint(topology_id: int) -> list[tuple[str, str, Any]]:
    base = f"/api/topologies/{topology_id}"
    return [
        ("GET", f"{base}/", None),
        ("PUT", f"{base}/", {"version": 2, "document": services.empty_document("Mine now")}),
        ("DELETE", f"{base}/", None),
        ("GET", f"{base}/versions/", None),
        ("GET", f"{base}/versions/1/", None),
        ("POST", f"{base}/versions/1/restore/", {"version": 2}),
        ("POST", f"{base}/validate/", {}),
    ]


def test_charlie_gets_404_from_every_endpoint_of_alices_topology(as_charlie: Client, topology: Topology) -> None:
    for method, url, body in _every_endpoint(topology.pk):
        response = call(as_charlie, method, url, body)
        assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
        assert response.json()["error"] == "not_found"
    assert topology.versions.count() == 2
    assert Topology.objects.filter(pk=topology.pk).exists()


def test_charlie_does_not_see_alices_topology_in_his_list(as_charlie: Client, topology: Topology) -> None:
    assert as_charlie.get("/api/topologies/").json() == {"topologies": []}


def test_an_anonymous_caller_gets_401_everywhere(client: Client, topology: Topology) -> None:
    endpoints = [*_every_endpoint(topology.pk), ("GET", "/api/catalog/", None), ("GET", "/api/topologies/", None),
                 ("POST", "/api/topologies/", {"name": "x"}), ("GET", "/api/openapi.json", None)]
    for method, url, body in endpoints:
        response = call(client, method, url, body)
        assert response.status_code == 401, f"{method} {url} answered {response.status_code}"
        assert response.json()["error"] == "unauthenticated"


def test_writes_without_the_csrf_token_are_refused_with_json(alice: Any, topology: Topology) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = call(client, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document":
                                                                          services.empty_document("x")})

    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    assert topology.versions.count() == 2


def test_writes_with_the_csrf_token_in_the_header_are_accepted(alice: Any, topology: Topology) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/")  # the page sets the csrftoken cookie, which scripts can read
    token = client.cookies["csrftoken"].value

    response = client.put(f"/api/topologies/{topology.pk}/", data=json.dumps(
        {"version": 2, "document": services.empty_document("x")}), content_type="application/json",
        headers={"X-CSRFToken": token})

    assert response.status_code == 200
    assert response.json()["version"] == 3


def test_an_unknown_api_url_answers_404_in_json(as_alice: Client) -> None:
    response = as_alice.get("/api/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_body_over_the_size_limit_answers_413_in_json(as_alice: Client, topology: Topology, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    document = services.empty_document("x" * 2000)

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document": document})

    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert topology.versions.count() == 2


def test_a_save_past_the_quota_answers_403_quota_exceeded_saying_what_to_do(
        as_alice: Client, topology: Topology, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    room = services.versions_bytes(topology.owner_id) + 100  # a quota of one "MB" the next version passes
    monkeypatch.setattr(services, "MB", room)
    settings.WIRETAP_QUOTA_TOPOLOGIES_MB = 1

    response = call(as_alice, "PUT", f"/api/topologies/{topology.pk}/", {"version": 2, "document": example(
        "scalable-webhook")})

    assert response.status_code == 403
    body = response.json()
    assert (body["error"], body["quota"], body["setting"], body["limit_bytes"]) == (
        "quota_exceeded", "topologies", "WIRETAP_QUOTA_TOPOLOGIES_MB", room)
    assert body["used_bytes"] == services.versions_bytes(topology.owner_id)
    assert "delete topologies you no longer need" in body["message"]
    assert Topology.objects.get(pk=topology.pk).version == 2
