"""Every message of the run stream, in the shape the page reads."""

from __future__ import annotations

import json

import pytest

from emulator.live import ComponentSample, Sample
from emulator.tracing import Segment
from tracer import protocol


def test_run_status() -> None:
    assert json.loads(protocol.encode(protocol.RunStatus(1, "running", 2.5, None, False))) == {
        "type": "run.status", "seq": 1, "status": "running", "virtual_seconds": 2.5, "speed": None, "paused": False}


def test_run_segments_carry_xray_documents() -> None:
    segment = Segment("1-6955b900-000000000000000000000001", "a" * 16, "Queue", "AWS::SQS::Queue", 1.0, 2.0)
    message = json.loads(protocol.encode(protocol.RunSegments(2, [segment])))

    assert message == {"type": "run.segments", "seq": 2, "segments": [
        {"trace_id": segment.trace_id, "id": "a" * 16, "name": "Queue", "origin": "AWS::SQS::Queue",
         "start_time": 1.0, "end_time": 2.0}]}


def test_run_metrics() -> None:
    sample = Sample(1.0, 1.0, {"accepted": 3}, {"p50": 4.0}, {"Queue": ComponentSample(3.0, gauges={"depth": 2})})
    assert json.loads(protocol.encode(protocol.RunMetrics(3, sample))) == {
        "type": "run.metrics", "seq": 3, "sample": {"t": 1.0, "interval_s": 1.0, "messages": {"accepted": 3},
                                                    "latency_ms": {"p50": 4.0},
                                                    "components": {"Queue": {"requests_per_s": 3.0,
                                                                             "gauges": {"depth": 2}}}}}


def test_run_finished() -> None:
    assert json.loads(protocol.encode(protocol.RunFinished(4, "cancelled", {"format": "wiretap.summary/1"}))) == {
        "type": "run.finished", "seq": 4, "status": "cancelled", "summary": {"format": "wiretap.summary/1"},
        "error": "", "limit": ""}


def test_run_finished_at_a_limit_names_it() -> None:
    message = protocol.RunFinished(9, "cancelled", {"format": "wiretap.summary/1"}, error="stopped at a limit: ...",
                                   limit="stored_traces")
    assert json.loads(protocol.encode(message))["limit"] == "stored_traces"


def test_type_of_names_each_message() -> None:
    assert protocol.type_of(protocol.RunFinished(1, "failed", None)) == "run.finished"


def test_client_messages() -> None:
    assert protocol.decode_client('{"type": "control", "speed": 10, "paused": true}') == protocol.Control(10, True)
    assert protocol.decode_client('{"type": "control", "speed": null}') == protocol.Control(None, False)
    assert protocol.decode_client('{"type": "cancel"}') == protocol.Cancel()


@pytest.mark.parametrize("text", ['{"type": "warp"}', "not json", '{"type": "control", "speed": 0}',
                                  '{"type": "control", "speed": 1, "extra": 1}'])
def test_bad_client_messages(text: str) -> None:
    with pytest.raises(protocol.BadMessage):
        protocol.decode_client(text)


def test_errors() -> None:
    assert json.loads(protocol.encode_error("no")) == {"type": "error", "message": "no"}


def test_run_traces() -> None:
    trace_id = "1-6955b900-aaaaaaaaaaaaaaaaaaaaaaaa"
    message = protocol.RunTraces(5, [protocol.TraceOutcome(trace_id, "dead_lettered", 12.5)])
    assert json.loads(protocol.encode(message)) == {
        "type": "run.traces", "seq": 5,
        "traces": [{"trace_id": trace_id, "outcome": "dead_lettered", "duration_ms": 12.5}]}
    assert protocol.type_of(message) == "run.traces"
