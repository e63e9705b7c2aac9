"""The runs' JSON API: start, status, cancel, summary, traces with filters and pages, exports, presets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from designer.models import Topology
from tests.tracer.conftest import workload
from tracer import api, services
from tracer.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(queued_run: Run) -> Run:
    services.execute_run(queued_run.pk)
    return Run.objects.get(pk=queued_run.pk)


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_start_answers_201_with_the_queued_run(as_alice: Client, topology: Topology) -> None:
    response = post(as_alice, f"/api/topologies/{topology.pk}/runs/", {"workload": workload(), "speed": 10})

    assert response.status_code == 201
    assert response.json()["status"] == "queued" and response.json()["speed"] == 10.0
    assert response.json()["stream"] == f"/ws/runs/{response.json()['id']}/"


@pytest.mark.parametrize("body, status", [
    ({}, 400), ({"workload": {"format": "nope"}}, 400), ({"workload": workload(), "speed": -1}, 400),
    ({"workload": workload(), "color": "red"}, 400),
])
def test_start_refuses_what_cannot_run(as_alice: Client, topology: Topology, body: Any, status: int) -> None:
    response = post(as_alice, f"/api/topologies/{topology.pk}/runs/", body)

    assert response.status_code == status and response.json()["problems"]
    assert not Run.objects.exists()


def raw_start(client: Client, topology: Topology, text: str) -> Any:
    return client.post(f"/api/topologies/{topology.pk}/runs/", text, content_type="application/json")


@pytest.mark.parametrize("replace, by, pointer, message", [
    ('"duration_s": 3', '"duration_s": Infinity', "/workload/duration_s", "Infinity is not a JSON number"),
    ('"duration_s": 3', '"duration_s": NaN', "/workload/duration_s", "NaN is not a JSON number"),
    ('"duration_s": 3', '"duration_s": 1e400', "/workload/duration_s", "at most about ±1.8e308, not 1e400"),
    ('"seed": 7', '"seed": 9223372036854775808', "/workload/seed", "from 0 to 9223372036854775807"),
    ('"$seq"', '"n\\u0000"', "/workload/sources/0/payload/n", "NUL characters (\\u0000) cannot be stored"),
    ('"Partner"', '"Part\\udfffner"', "/workload/sources/0/target", "lone surrogate (\\udfff)"),
    ('"drain_s": 30', '"drain_s": ' + "3" * 5000, "/workload/drain_s", "at most 308 digits"),
])
def test_a_workload_the_console_cannot_store_or_run_answers_400_in_json_and_starts_nothing(
        as_alice: Client, topology: Topology, replace: str, by: str, pointer: str, message: str) -> None:
    text = json.dumps({"workload": workload()})
    assert replace in text

    response = raw_start(as_alice, topology, text.replace(replace, by))

    assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert [(p["pointer"], message in p["message"]) for p in response.json()["problems"]] == [(pointer, True)]
    assert not Run.objects.exists()


def test_a_body_nested_10000_deep_answers_400_naming_the_limit(as_alice: Client, topology: Topology) -> None:
    response = raw_start(as_alice, topology, '{"workload": ' + "[" * 10_000 + "]" * 10_000 + "}")

    assert response.status_code == 400
    assert response.json()["message"] == "the body nests arrays and objects 10,001 deep; at most 100 levels are read"


def test_the_largest_seed_runs_and_a_whole_number_with_a_fraction_is_a_seed(as_alice: Client,
                                                                              topology: Topology) -> None:
    largest = raw_start(as_alice, topology, json.dumps({"workload": workload(), "seed": 2**63 - 1}))
    fraction = raw_start(as_alice, topology, json.dumps({"workload": workload(), "seed": 41.0}))
    in_workload = raw_start(as_alice, topology, json.dumps({"workload": {**workload(), "seed": 2**63 - 1}}))

    assert (largest.status_code, largest.json()["seed"]) == (201, 2**63 - 1)
    assert (fraction.status_code, fraction.json()["seed"]) == (201, 41)
    assert (in_workload.status_code, in_workload.json()["seed"]) == (201, 2**63 - 1)
    assert raw_start(as_alice, topology, json.dumps({"workload": workload(), "seed": 41.5})).status_code == 400


def test_someone_elses_runs_and_topologies_are_404(client: Client, charlie: Any, topology: Topology,
                                                   finished_run: Run) -> None:
    client.force_login(charlie)

    assert post(client, f"/api/topologies/{topology.pk}/runs/", {"workload": workload()}).status_code == 404
    for suffix in ("", "summary/", "traces/", "export/xray.jsonl"):
        assert client.get(f"/api/runs/{finished_run.pk}/{suffix}").status_code == 404
    assert post(client, f"/api/runs/{finished_run.pk}/cancel/", {}).status_code == 404


def test_anonymous_callers_get_401(client: Client, finished_run: Run) -> None:
    assert client.get(f"/api/runs/{finished_run.pk}/").status_code == 401


def test_status_summary_and_cancel(as_alice: Client, finished_run: Run, queued_run: Run) -> None:
    status = as_alice.get(f"/api/runs/{finished_run.pk}/").json()
    assert status["status"] == "finished" and status["traces_stored"] == status["traces_seen"] > 0
    assert as_alice.get(f"/api/runs/{finished_run.pk}/summary/").json()["format"] == "wiretap.summary/1"

    other = services.start_run(finished_run.owner, finished_run.topology, workload())
    assert as_alice.get(f"/api/runs/{other.pk}/summary/").status_code == 409
    assert post(as_alice, f"/api/runs/{other.pk}/cancel/", {}).json()["status"] == "cancelled"


def test_traces_filter_and_page_by_keyset(as_alice: Client, finished_run: Run) -> None:
    url = f"/api/runs/{finished_run.pk}/traces/"
    pages, after = [], None
    while True:
        page = as_alice.get(url, {"limit": 7, **({"after": after} if after else {})}).json()
        pages.append(page["traces"])
        after = page["next"]
        if after is None:
            break
    ids = [trace["id"] for page in pages for trace in page]
    assert len(ids) == len(set(ids)) == finished_run.traces.count() and ids == sorted(ids)

    slow = as_alice.get(url, {"min_duration_ms": 100, "component": "Writer", "outcome": "completed"}).json()
    assert slow["traces"] and all(t["duration_ms"] >= 100 and "Writer" in t["components"] for t in slow["traces"])
    assert as_alice.get(url, {"component": "Nowhere"}).json()["traces"] == []
    assert as_alice.get(url, {"outcome": "weird"}).status_code == 400
    assert as_alice.get(url, {"min_duration_ms": "slow"}).status_code == 400


@pytest.mark.parametrize("query, name", [
    ({"after": -1}, "after"), ({"after": "x"}, "after"), ({"after": 2**63}, "after"), ({"after": "1.5"}, "after"),
    ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"limit": ""}, "limit"),
    ({"min_duration_ms": "nan"}, "min_duration_ms"), ({"max_duration_ms": "inf"}, "max_duration_ms"),
    ({"min_duration_ms": -1}, "min_duration_ms"), ({"max_duration_ms": "1e400"}, "max_duration_ms"),
    ({"component": "Wri\x00ter"}, "component"), ({"outcome": ""}, "outcome"),
])
def test_a_trace_filter_out_of_range_or_malformed_answers_400_naming_the_parameter(
        as_alice: Client, finished_run: Run, query: dict[str, Any], name: str) -> None:
    response = as_alice.get(f"/api/runs/{finished_run.pk}/traces/", query)

    assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert [p["pointer"] for p in response.json()["problems"]] == [f"/{name}"]
    assert f"the query parameter {name} must" in response.json()["message"]


def test_trace_filters_take_whole_numbers_written_with_a_fraction_and_the_largest_id(
        as_alice: Client, finished_run: Run) -> None:
    url = f"/api/runs/{finished_run.pk}/traces/"
    first = finished_run.traces.order_by("id").values_list("id", flat=True)[:2]

    assert [t["id"] for t in as_alice.get(url, {"limit": "1.0", "after": "0"}).json()["traces"]] == [first[0]]
    assert [t["id"] for t in as_alice.get(url, {"limit": 1, "after": f"{first[0]}.0"}).json()["traces"]] == [first[1]]
    assert as_alice.get(url, {"after": 2**63 - 1}).json() == {"traces": [], "next": None}


def test_a_trace_id_holding_a_nul_character_is_not_found(as_alice: Client, finished_run: Run) -> None:
    response = as_alice.get(f"/api/runs/{finished_run.pk}/traces/1-0000\x00/")

    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_one_trace_and_the_exports(as_alice: Client, finished_run: Run) -> None:
    first = finished_run.traces.order_by("id").first()
    assert first is not None
    trace = as_alice.get(f"/api/runs/{finished_run.pk}/traces/{first.trace_id}/").json()
    assert trace["trace_id"] == first.trace_id and len(trace["segments"]) == first.segment_count
    assert as_alice.get(f"/api/runs/{finished_run.pk}/traces/1-00000000-000000000000000000000000/").status_code == 404

    xray = b"".join(as_alice.get(f"/api/runs/{finished_run.pk}/export/xray.jsonl").streaming_content)
    lines = [json.loads(line) for line in xray.splitlines()]
    assert len(lines) == finished_run.segments_seen and all("trace_id" in line for line in lines)


def test_the_otlp_export_is_one_document_with_every_span_however_many_chunks_it_is_written_in(
        as_alice: Client, finished_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "OTLP_TRACES_A_CHUNK", 7)  # 60 traces: nine chunks
    response = as_alice.get(f"/api/runs/{finished_run.pk}/export/otlp.json")

    assert response["Content-Type"] == "application/json"
    document = json.loads(b"".join(response.streaming_content))
    spans = [span for resource in document["resourceSpans"] for scope in resource["scopeSpans"]
             for span in scope["spans"]]
    stored = [segment for row in finished_run.traces.all() for segment in json.loads(row.segments)]

    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 + count(item.get("subsegments", [])) for item in items)

    assert len(spans) == len({span["spanId"] for span in spans}) == count(stored)


def test_the_exports_are_files_named_after_the_run(as_alice: Client, finished_run: Run) -> None:
    prefix = f"scalable-webhook-run-{finished_run.pk}"
    for path, name in (("xray.jsonl", "xray.jsonl"), ("otlp.json", "otlp.json"), ("summary.json", "summary.json")):
        response = as_alice.get(f"/api/runs/{finished_run.pk}/export/{path}")
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{prefix}-{name}"', path


def test_the_summary_export_is_the_runs_summary_indented_and_waits_for_the_end(
        as_alice: Client, finished_run: Run, topology: Topology) -> None:
    text = as_alice.get(f"/api/runs/{finished_run.pk}/export/summary.json").content.decode()

    document = json.loads(text)
    assert document == finished_run.summary and text.endswith("}\n")
    # In the order the emulator writes it, whatever the database kept (PostgreSQL's jsonb sorts keys).
    assert list(document)[:4] == ["format", "seed", "virtual_seconds", "messages"] and text.startswith('{\n  "format"')
    assert list(document["messages"])[:3] == ["accepted", "completed", "dead_lettered"]
    assert list(document["components"]) == [c["id"] for c in finished_run.document["components"]]
    queued = services.start_run(finished_run.owner, topology, workload())
    refused = as_alice.get(f"/api/runs/{queued.pk}/export/summary.json")
    assert refused.status_code == 409 and refused.json()["error"] == "not_ready"


def test_workload_presets_are_valid_for_the_topology(as_alice: Client, topology: Topology) -> None:
    presets = as_alice.get("/api/workload-presets/", {"topology": topology.pk}).json()["presets"]

    # The design was made from a template: its own workload comes first.
    assert [preset["id"] for preset in presets] == ["template", "steady", "spike", "ramp", "poison", "outage"]
    for preset in presets:
        assert post(as_alice, f"/api/topologies/{topology.pk}/runs/", {"workload": preset["workload"]}).status_code \
            == 201
    assert as_alice.get("/api/workload-presets/").status_code == 400


@pytest.mark.parametrize("value", ["0", "-3", "x", str(2**63), "1e400", "nan"])
def test_workload_presets_for_a_topology_id_out_of_range_or_malformed_answer_400(as_alice: Client,
                                                                                 value: str) -> None:
    response = as_alice.get("/api/workload-presets/", {"topology": value})

    assert response.status_code == 400
    assert [p["pointer"] for p in response.json()["problems"]] == ["/topology"]


def test_workload_presets_for_an_id_nobody_has_answer_404(as_alice: Client, topology: Topology) -> None:
    assert as_alice.get("/api/workload-presets/", {"topology": 2**63 - 1}).status_code == 404
