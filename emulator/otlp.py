"""OTLP/JSON export of X-Ray segments (OpenTelemetry protocol, JSON encoding).

One resource per component (``service.name`` = the component id), one span per segment
(kind SERVER) and per subsegment (kind CLIENT, child of the segment or subsegment that made
the call). Field names and encodings follow the OTLP specification's JSON mapping: trace and
span ids as lowercase hex (not base64), enums as integers, 64-bit integers (timestamps,
``intValue``) as decimal strings. A span that X-Ray flags as error, throttle or fault gets
status ERROR with the cause's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from emulator.tracing import Segment, Subsegment

SCOPE = {"name": "wiretap.emulator", "version": "1"}
SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
STATUS_CODE_ERROR = 2
_XRAY_TRACE_ID = re.compile(r"^1-([0-9a-f]{8})-([0-9a-f]{24})$")


def to_otlp(segments: Iterable[Segment]) -> dict[str, Any]:
    """The ``{"resourceSpans": [...]}`` document, components in the order they first appear."""
    return {"resourceSpans": resource_spans(segments)}


def otlp_document(chunks: Iterable[Iterable[Segment]]) -> Iterator[bytes]:
    """One OTLP/JSON document (an ExportTraceServiceRequest) written a chunk of segments at a time,
    for exports too large to hold: each chunk adds its own ResourceSpans, so a component may have
    one per chunk (OTLP allows a resource to repeat). One chunk gives the bytes of ``to_otlp``."""
    yield b'{"resourceSpans":['
    first = True
    for chunk in chunks:
        for item in resource_spans(chunk):
            yield msgspec.json.encode(item) if first else b"," + msgspec.json.encode(item)
            first = False
    yield b"]}\n"


def resource_spans(segments: Iterable[Segment]) -> list[dict[str, Any]]:
    """One ResourceSpans per component, in the order they first appear."""
    spans_by_component: dict[str, list[dict[str, Any]]] = {}
    origins: dict[str, str] = {}
    for segment in segments:
        origins.setdefault(segment.name, segment.origin)
        spans = spans_by_component.setdefault(segment.name, [])
        trace_id = otlp_trace_id(segment.trace_id)
        spans.append(_span(segment, trace_id, segment.parent_id, SPAN_KIND_SERVER))
        for subsegment in segment.subsegments or ():
            _add_subsegment_spans(spans, subsegment, trace_id, segment.id)
    return [
        {"resource": {"attributes": _resource_attributes(component, origins[component])},
         "scopeSpans": [{"scope": dict(SCOPE), "spans": spans}]}
        for component, spans in spans_by_component.items()
    ]


def otlp_trace_id(xray_trace_id: str) -> str:
    """X-Ray's ``1-<8 hex time>-<24 hex>`` as OTLP's 32 hex digits (the same 128 bits)."""
    match = _XRAY_TRACE_ID.match(xray_trace_id)
    if match is None:
        raise ValueError(f"{xray_trace_id!r} is not an X-Ray trace id (1-<8 hex digits>-<24 hex digits>)")
    return match.group(1) + match.group(2)


def unix_nano(epoch_seconds: float) -> str:
    """Epoch seconds (X-Ray keeps microseconds) as OTLP's nanoseconds, a decimal string.

    Rounded to the microsecond first: nanoseconds since 1970 need more digits than a float
    holds, so multiplying by 1e9 directly would invent digits.
    """
    return str(round(epoch_seconds * 1_000_000) * 1000)


def _resource_attributes(component: str, origin: str) -> list[dict[str, Any]]:
    attributes = [_attribute("service.name", component)]
    # An outside client or third-party API is not an AWS resource.
    if origin.startswith("AWS::"):
        attributes.append(_attribute("cloud.provider", "aws"))
    attributes.append(_attribute("aws.origin", origin))
    return attributes


def _add_subsegment_spans(spans: list[dict[str, Any]], subsegment: Subsegment, trace_id: str, parent_id: str) -> None:
    spans.append(_span(subsegment, trace_id, parent_id, SPAN_KIND_CLIENT))
    for child in subsegment.subsegments or ():
        _add_subsegment_spans(spans, child, trace_id, subsegment.id)


def _span(part: Segment | Subsegment, trace_id: str, parent_id: str | None, kind: int) -> dict[str, Any]:
    start = unix_nano(part.start_time)
    in_progress = part.end_time is None
    span: dict[str, Any] = {"traceId": trace_id, "spanId": part.id}
    if parent_id:
        span["parentSpanId"] = parent_id
    span.update({
        "name": part.name,
        "kind": kind,
        "startTimeUnixNano": start,
        # An in-progress span has no end yet: OTLP requires one, so it ends where it started.
        "endTimeUnixNano": start if part.end_time is None else unix_nano(part.end_time),
        "attributes": _span_attributes(part, in_progress),
    })
    if part.error or part.throttle or part.fault:
        span["status"] = {"code": STATUS_CODE_ERROR, "message": _cause_message(part)}
        events = _exception_events(part, span["endTimeUnixNano"])
        if events:
            span["events"] = events
    return span


def _span_attributes(part: Segment | Subsegment, in_progress: bool) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = []
    if isinstance(part, Subsegment) and part.namespace:
        attributes.append(_attribute("aws.xray.namespace", part.namespace))
    for key, value in (part.annotations or {}).items():
        attributes.append(_attribute(f"aws.xray.annotations.{key}", value))
    for key, value in (part.aws or {}).items():
        attributes.append(_attribute(f"aws.{key}", value))
    attributes.extend(_http_attributes(part.http))
    for flag in ("error", "throttle", "fault"):
        if getattr(part, flag):
            attributes.append(_attribute(f"aws.xray.{flag}", True))
    if in_progress:
        attributes.append(_attribute("wiretap.in_progress", True))
    return attributes


def _http_attributes(http: dict[str, Any] | None) -> list[dict[str, Any]]:
    """X-Ray's http block under OpenTelemetry's semantic convention names."""
    if not http:
        return []
    request, response = http.get("request") or {}, http.get("response") or {}
    attributes = []
    if "method" in request:
        attributes.append(_attribute("http.request.method", request["method"]))
    if "url" in request:
        attributes.append(_attribute("url.full", request["url"]))
    if "status" in response:
        attributes.append(_attribute("http.response.status_code", response["status"]))
    return attributes


def _exceptions(part: Segment | Subsegment) -> list[dict[str, Any]]:
    cause = part.cause
    if not isinstance(cause, dict):
        return []
    exceptions = cause.get("exceptions")
    return [e for e in exceptions if isinstance(e, dict)] if isinstance(exceptions, list) else []


def _cause_message(part: Segment | Subsegment) -> str:
    for exception in _exceptions(part):
        message = exception.get("message") or exception.get("type")
        if message:
            return str(message)
    return "fault" if part.fault else "throttle" if part.throttle else "error"


def _exception_events(part: Segment | Subsegment, time: str) -> list[dict[str, Any]]:
    """Each exception of the cause as an OpenTelemetry ``exception`` event."""
    events = []
    for exception in _exceptions(part):
        attributes = [_attribute("exception.type", str(exception.get("type", "Error")))]
        if exception.get("message"):
            attributes.append(_attribute("exception.message", str(exception["message"])))
        events.append({"timeUnixNano": time, "name": "exception", "attributes": attributes})
    return events


def _attribute(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": any_value(value)}


def any_value(value: Any) -> dict[str, Any]:
    """A JSON value as OTLP's AnyValue (bool before int: in Python a bool is an int)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [_attribute(str(k), v) for k, v in value.items()]}}
    if value is None:
        return {}
    return {"stringValue": str(value)}
