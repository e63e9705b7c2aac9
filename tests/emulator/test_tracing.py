"""Trace output: valid X-Ray segment documents, one trace per message, deterministic bytes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import JsonLinesWriter, ListTracer, to_dict
from emulator.workload import load_workload
from tests.emulator.scenario import run, topology

SCHEMA_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / \
    "xray-segmentdocument-schema-v1.0.0.json"
TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")

WEB = topology(
    [{"id": "Browser", "kind": "client"}, {"id": "Api", "kind": "apigateway",
                                           "properties": {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 5}},
     {"id": "Handler", "kind": "lambda", "behavior": {"error_rate": 0.1}},
     {"id": "Items", "kind": "dynamodb", "properties": {"WriteCapacityUnits": 5}}],
    [{"source": "Browser", "target": "Api", "role": "request"},
     {"source": "Api", "target": "Handler", "role": "request"},
     {"source": "Handler", "target": "Items", "role": "request"}],
)
SOURCES = [{"target": "Browser", "rate": {"per_second": 40, "arrival": "poisson"}, "payload": {"n": "$seq"}}]


@pytest.fixture(scope="module")
def web_run():  # type: ignore[no-untyped-def]
    return run(WEB, SOURCES, duration_s=5)


def all_parts(segment: dict) -> list[dict]:
    parts = [segment]
    for subsegment in segment.get("subsegments", []):
        parts.extend(all_parts(subsegment))
    return parts


def test_every_segment_is_valid_against_the_xray_segment_document_schema(web_run) -> None:  # type: ignore[no-untyped-def]
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text()))
    for segment in web_run.segments:
        errors = [error.message for error in validator.iter_errors(to_dict(segment))]
        assert errors == [], f"{segment.name}: {errors}"


def test_ids_have_the_xray_formats_and_required_annotations(web_run) -> None:  # type: ignore[no-untyped-def]
    assert web_run.segments
    for segment in web_run.segments:
        document = to_dict(segment)
        assert TRACE_ID.match(document["trace_id"])
        for part in all_parts(document):
            assert SEGMENT_ID.match(part["id"])
            assert part["start_time"] > 1.7e9
        annotations = document["annotations"]
        assert "message_id" in annotations and "outcome" in annotations
        assert "attempt" in annotations or "receive_count" in annotations


def test_each_message_is_one_trace_and_parents_point_inside_it(web_run) -> None:  # type: ignore[no-untyped-def]
    traces = {}
    for segment in web_run.segments:
        traces.setdefault(segment.trace_id, []).append(to_dict(segment))
    assert len(traces) == web_run.summary["messages"]["accepted"] + web_run.summary["messages"]["rejected"]
    for segments in traces.values():
        assert len({s["annotations"]["message_id"] for s in segments}) == 1
        ids = {part["id"] for s in segments for part in all_parts(s)}
        roots = [s for s in segments if "parent_id" not in s]
        assert len(roots) == 1 and roots[0]["name"] == "Browser"
        assert all(s["parent_id"] in ids for s in segments if "parent_id" in s)


def test_throttled_and_failed_requests_carry_xray_flags_and_causes(web_run) -> None:  # type: ignore[no-untyped-def]
    api = [to_dict(s) for s in web_run.named("Api")]
    throttled = [s for s in api if s["http"]["response"]["status"] == 429]
    failed = [s for s in api if s["http"]["response"]["status"] == 502]
    assert throttled and failed
    assert all(s["throttle"] and s["error"] and "fault" not in s for s in throttled)
    assert all(s["fault"] and s["cause"]["exceptions"][0]["type"] for s in failed)


def traces_bytes(seed: int) -> tuple[bytes, dict]:
    loaded = load_topology(WEB)
    workload = load_workload({"format": "wiretap.workload/1", "seed": seed, "duration_s": 5,
                              "sources": SOURCES}, loaded)
    buffer = io.BytesIO()
    summary = Simulation(loaded, workload, tracer=JsonLinesWriter(buffer)).run()
    return buffer.getvalue(), summary


def test_same_inputs_and_seed_give_byte_identical_traces_and_summary() -> None:
    first, first_summary = traces_bytes(11)
    second, second_summary = traces_bytes(11)
    other, _ = traces_bytes(12)
    assert first == second and first_summary == second_summary
    assert first != other


def test_list_tracer_groups_segments_by_trace() -> None:
    tracer = ListTracer()
    loaded = load_topology(WEB)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 1, "duration_s": 1,
                              "sources": SOURCES}, loaded)
    Simulation(loaded, workload, tracer=tracer).run()
    grouped = tracer.traces()
    assert sum(len(v) for v in grouped.values()) == len(tracer.segments)


def test_a_function_reached_through_a_queue_links_to_the_producing_span_as_xray_linked_traces_do() -> None:
    document = topology(
        [{"id": "Inbox", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"},
         {"id": "Caller", "kind": "client"}, {"id": "Async", "kind": "lambda"}],
        [{"source": "Inbox", "target": "Worker", "role": "event_source"},
         {"source": "Caller", "target": "Async", "role": "event"}],
    )
    result = run(document, [{"target": "Inbox", "rate": {"per_second": 5}, "count": 3},
                            {"target": "Caller", "rate": {"per_second": 5}, "count": 2}], duration_s=2)
    consumers = result.named("Worker") + result.named("Async", "AWS::Lambda::Function")
    assert len(consumers) == 5
    ids = {part["id"] for s in result.segments for part in all_parts(to_dict(s))}
    for segment in consumers:
        (link,) = segment.links or []
        assert link["trace_id"] == segment.trace_id
        assert link["id"] == segment.parent_id and link["id"] in ids
        assert link["attributes"] == {"link.type": "async"}
    # A synchronous invocation has no link: its parent is its caller.
    web = run(WEB, SOURCES, duration_s=1)
    assert all(s.links is None for s in web.named("Handler"))


def test_a_run_cut_short_emits_the_work_under_way_as_valid_in_progress_segments() -> None:
    loaded = load_topology(WEB)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 5, "duration_s": 10, "drain_s": 0,
                              "sources": SOURCES}, loaded)
    tracer = ListTracer()
    sim = Simulation(loaded, workload, tracer=tracer)
    sim.start()
    sim.kernel.run(until=2.0, advance_clock=False)
    summary = sim.finish()
    open_ = [segment for segment in tracer.segments if segment.in_progress]
    assert {segment.name for segment in open_} >= {"Browser", "Api"}
    assert all(segment.end_time is None for segment in open_)
    # Every message still in flight has its open segments in its trace.
    assert summary["messages"]["in_flight"] == len({s.trace_id for s in open_ if s.name == "Browser"})
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text()))
    for segment in open_:
        document = to_dict(segment)
        assert not list(validator.iter_errors(document)), document
