"""OTLP/JSON export: ids, parent links, times, status and attributes, on hand-built segments."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from emulator.otlp import any_value, otlp_document, otlp_trace_id, to_otlp, unix_nano
from emulator.tracing import Segment, Subsegment, cause

TRACE_ID = "1-6955b900-11e04abaf65cc5a58cac39f0"


def browser_and_api() -> list[Segment]:
    """A client calling an API that calls a table; the table throttles."""
    api = Segment(
        trace_id=TRACE_ID, id="50931b51ad8a88d1", name="Api", origin="AWS::ApiGateway::Stage",
        start_time=1767225600.02791, end_time=1767225600.039946, parent_id="aaaaaaaaaaaaaaa1",
        error=True, throttle=True,
        cause=cause("ProvisionedThroughputExceededException", "Rate of requests exceeds capacity", "e1"),
        http={"request": {"method": "POST", "url": "https://api.example/prod/"}, "response": {"status": 400}},
        aws={"api_id": "api", "retries": 2},
        annotations={"message_id": "msg-000001", "attempt": 1, "ratio": 0.5, "cold": False},
    )
    api.add(Subsegment(id="47c4fc67c69fbc3b", name="Orders", start_time=1767225600.031643,
                       end_time=1767225600.036212, namespace="aws", aws={"operation": "PutItem"},
                       subsegments=[Subsegment(id="bbbbbbbbbbbbbbb2", name="Attempt", start_time=1767225600.032,
                                               end_time=1767225600.033)]))
    browser = Segment(trace_id=TRACE_ID, id="cccccccccccccc03", name="Browser", origin="Wiretap::Client",
                      start_time=1767225600.0, end_time=1767225600.04)
    browser.add(Subsegment(id="aaaaaaaaaaaaaaa1", name="Api", start_time=1767225600.001,
                           end_time=1767225600.039))
    return [api, browser]


def spans_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {span["spanId"]: span for resource in document["resourceSpans"]
            for scope in resource["scopeSpans"] for span in scope["spans"]}


def attributes(span: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {attribute["key"]: attribute["value"] for attribute in span["attributes"]}


def test_xray_trace_id_becomes_its_32_hex_digits() -> None:
    assert otlp_trace_id(TRACE_ID) == "6955b90011e04abaf65cc5a58cac39f0"


def test_a_malformed_trace_id_is_refused_with_the_expected_format() -> None:
    with pytest.raises(ValueError, match="1-<8 hex digits>-<24 hex digits>"):
        otlp_trace_id("6955b900-11e04abaf65cc5a58cac39f0")


def test_times_are_whole_nanoseconds_as_strings_without_float_noise() -> None:
    assert unix_nano(1767225600.02791) == "1767225600027910000"
    assert unix_nano(1767225600.000001) == "1767225600000001000"


def test_one_resource_per_component_in_order_of_appearance() -> None:
    document = to_otlp(browser_and_api())
    resources = [attributes(r["resource"]) for r in document["resourceSpans"]]
    assert [r["service.name"] for r in resources] == [{"stringValue": "Api"}, {"stringValue": "Browser"}]
    assert resources[0]["cloud.provider"] == {"stringValue": "aws"}
    assert resources[0]["aws.origin"] == {"stringValue": "AWS::ApiGateway::Stage"}
    assert "cloud.provider" not in resources[1]  # an outside client is not an AWS resource


def test_segments_are_server_spans_and_subsegments_client_spans_linked_to_their_parent() -> None:
    spans = spans_of(to_otlp(browser_and_api()))
    assert len(spans) == 5
    assert {span["traceId"] for span in spans.values()} == {"6955b90011e04abaf65cc5a58cac39f0"}
    root, call, api = spans["cccccccccccccc03"], spans["aaaaaaaaaaaaaaa1"], spans["50931b51ad8a88d1"]
    assert "parentSpanId" not in root and root["kind"] == 2
    assert call["parentSpanId"] == root["spanId"] and call["kind"] == 3
    assert api["parentSpanId"] == call["spanId"] and api["kind"] == 2
    assert spans["47c4fc67c69fbc3b"]["parentSpanId"] == api["spanId"]
    assert spans["bbbbbbbbbbbbbbb2"]["parentSpanId"] == "47c4fc67c69fbc3b"
    assert api["name"] == "Api" and spans["47c4fc67c69fbc3b"]["name"] == "Orders"
    assert api["startTimeUnixNano"] == "1767225600027910000"
    assert api["endTimeUnixNano"] == "1767225600039946000"


def test_a_throttled_segment_has_error_status_with_the_cause_message() -> None:
    spans = spans_of(to_otlp(browser_and_api()))
    api = spans["50931b51ad8a88d1"]
    assert api["status"] == {"code": 2, "message": "Rate of requests exceeds capacity"}
    assert api["events"][0]["name"] == "exception"
    assert attributes(api["events"][0])["exception.type"] == {
        "stringValue": "ProvisionedThroughputExceededException"}
    assert attributes(api)["aws.xray.throttle"] == {"boolValue": True}
    assert "status" not in spans["cccccccccccccc03"]


def test_annotations_aws_fields_and_http_become_typed_attributes() -> None:
    api = attributes(spans_of(to_otlp(browser_and_api()))["50931b51ad8a88d1"])
    assert api["aws.xray.annotations.message_id"] == {"stringValue": "msg-000001"}
    assert api["aws.xray.annotations.attempt"] == {"intValue": "1"}
    assert api["aws.xray.annotations.ratio"] == {"doubleValue": 0.5}
    assert api["aws.xray.annotations.cold"] == {"boolValue": False}
    assert api["aws.retries"] == {"intValue": "2"}
    assert api["http.request.method"] == {"stringValue": "POST"}
    assert api["http.response.status_code"] == {"intValue": "400"}
    orders = attributes(spans_of(to_otlp(browser_and_api()))["47c4fc67c69fbc3b"])
    assert orders["aws.operation"] == {"stringValue": "PutItem"}
    assert orders["aws.xray.namespace"] == {"stringValue": "aws"}


def test_an_in_progress_segment_ends_where_it_starts_and_says_so() -> None:
    segment = Segment(trace_id=TRACE_ID, id="dddddddddddddd04", name="Worker", origin="AWS::Lambda::Function",
                      start_time=1767225601.5, in_progress=True)
    [span] = spans_of(to_otlp([segment])).values()
    assert span["endTimeUnixNano"] == span["startTimeUnixNano"] == "1767225601500000000"
    assert attributes(span)["wiretap.in_progress"] == {"boolValue": True}


def test_nested_values_keep_their_structure() -> None:
    assert any_value([1, "a"]) == {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "a"}]}}
    assert any_value({"k": True}) == {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": True}}]}}


def test_the_document_is_plain_json_and_empty_without_segments() -> None:
    assert json.loads(json.dumps(to_otlp(browser_and_api())))["resourceSpans"]
    assert to_otlp([]) == {"resourceSpans": []}


def test_a_document_written_in_chunks_is_one_document_with_every_span() -> None:
    api, browser = browser_and_api()
    written = json.loads(b"".join(otlp_document([[api], [], [browser]])))

    assert set(spans_of(written)) == set(spans_of(to_otlp([api, browser])))
    assert [resource["resource"] for resource in written["resourceSpans"]] == \
        [resource["resource"] for resource in to_otlp([api, browser])["resourceSpans"]]


def test_one_chunk_writes_the_bytes_of_to_otlp() -> None:
    segments = browser_and_api()

    assert b"".join(otlp_document([segments])) == msgspec.json.encode(to_otlp(segments)) + b"\n"
    assert json.loads(b"".join(otlp_document([]))) == {"resourceSpans": []}
