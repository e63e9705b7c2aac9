"""The runs' JSON API (formats.md section 5), described in designer/openapi.py.

Errors come back as designer/http.py makes them: 400 with problems, 404 for a run that is not
the caller's, 401 anonymous, 403 quota_exceeded when the caller's runs fill their quota.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import msgspec
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from designer import services as designer
from designer.http import api_view, error, json_body, no_content
from designer.services import InvalidInput
from emulator.otlp import otlp_document
from emulator.problems import Problem
from emulator.tracing import Segment
from tracer import presenters, presets, services
from tracer.models import Run, Trace

MAX_PAGE = 500
DEFAULT_PAGE = 100
MAX_ID = 2**63 - 1  # ids are signed 64-bit integers
# Stored traces whose spans the OTLP export holds in memory at once.
OTLP_TRACES_A_CHUNK = 500
_segments = msgspec.json.Decoder(list[Segment])


@api_view("POST")
def start(request: HttpRequest, topology_id: int) -> HttpResponse:
    topology = designer.topology_of(request.user, topology_id)
    body = json_body(request, allowed=("workload", "seed", "speed"), required=("workload",))
    run = services.start_run(request.user, topology, body["workload"], seed=body.get("seed"), speed=body.get("speed"))
    return JsonResponse(presenters.run(run), status=201)


@api_view("GET", "DELETE")
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    item = services.run_of(request.user, run_id)
    if request.method == "DELETE":
        if not services.delete_run(item):
            return error(409, "not_over", f"run {item.pk} is {item.status}: cancel it, then delete it")
        return no_content()
    return JsonResponse(presenters.run(item))


@api_view("POST")
def cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    return JsonResponse(presenters.run(services.cancel_run(services.run_of(request.user, run_id))))


@api_view("POST")
def control(request: HttpRequest, run_id: int) -> HttpResponse:
    body = json_body(request, allowed=("speed", "paused"), required=("speed", "paused"))
    run = services.control_run(services.run_of(request.user, run_id), body["speed"], body["paused"])
    return JsonResponse(presenters.run(run))


@api_view("GET")
def summary(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.run_of(request.user, run_id)
    if run.summary is None:
        return _not_ready(run)
    return JsonResponse(presenters.summary_document(run))


def _not_ready(run: Run) -> JsonResponse:
    return JsonResponse({"error": "not_ready", "message": f"run {run.pk} is {run.status}: the summary comes "
                         "when it finishes or is cancelled"}, status=409)


def _query_text(request: HttpRequest, name: str) -> str | None:
    """The query parameter ``name`` (None when absent); a NUL in it is refused."""
    text = request.GET.get(name)
    if text is not None and "\x00" in text:
        raise InvalidInput([Problem(f"/{name}", f"the query parameter {name} must not hold a NUL character")])
    return text


def _query_number(request: HttpRequest, name: str, minimum: int, maximum: int | None = None, *,
                  whole: bool = False) -> float | None:
    """The query parameter ``name`` as a number within the bounds /api/openapi.json gives it; 7.0 is a
    whole number, as JSON Schema says. None when absent."""
    text = _query_text(request, name)
    if text is None:
        return None
    value = _number(text)
    if value is not None and whole:
        value = designer.whole_number(value)
    if value is None or value < minimum or (maximum is not None and value > maximum):
        kind = "whole number" if whole else "number"
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise InvalidInput([Problem(f"/{name}", f"the query parameter {name} must be a {kind} {bounds}, got "
                                    f"{text[:40]!r}")])
    return value


def _number(text: str) -> float | None:
    """``text`` as a finite number (an int when it is written as one), else None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@api_view("GET")
def traces(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.run_of(request.user, run_id)
    outcome = _query_text(request, "outcome")
    if outcome is not None and outcome not in Trace.Outcome.values:
        raise InvalidInput([Problem("/outcome", f"the query parameter outcome must be one of "
                                    f"{', '.join(Trace.Outcome.values)}")])
    after = _query_number(request, "after", 0, MAX_ID, whole=True)
    limit = int(_query_number(request, "limit", 1, MAX_PAGE, whole=True) or DEFAULT_PAGE)
    page = services.traces_of(
        run, outcome=outcome, component=_query_text(request, "component") or None,
        min_duration_ms=_query_number(request, "min_duration_ms", 0),
        max_duration_ms=_query_number(request, "max_duration_ms", 0),
        after=None if after is None else int(after), limit=limit)
    items = [presenters.trace_summary(row) for row in page]
    return JsonResponse({"traces": items, "next": page[-1].pk if len(page) == limit else None})


@api_view("GET")
def trace(request: HttpRequest, run_id: int, trace_id: str) -> HttpResponse:
    row = services.trace_of(services.run_of(request.user, run_id), trace_id)
    text = json.dumps(presenters.trace_summary(row))
    return HttpResponse(f'{text[:-1]}, "segments": {row.segments}}}', content_type="application/json")


@api_view("GET")
def export_xray(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.run_of(request.user, run_id)

    def lines() -> Iterator[bytes]:
        for text in services.segment_texts(run):
            yield b"".join(msgspec.json.encode(segment) + b"\n" for segment in _segments.decode(text))

    return _download(StreamingHttpResponse(lines(), content_type="application/x-ndjson"), run, "xray.jsonl")


@api_view("GET")
def export_otlp(request: HttpRequest, run_id: int) -> HttpResponse:
    """One OTLP/JSON document (ExportTraceServiceRequest), streamed 500 stored traces at a time."""
    run = services.run_of(request.user, run_id)
    document = otlp_document(_chunks(services.segment_texts(run), OTLP_TRACES_A_CHUNK))
    return _download(StreamingHttpResponse(document, content_type="application/json"), run, "otlp.json")


def _chunks(texts: Iterator[str], size: int) -> Iterator[list[Segment]]:
    """The segments of ``size`` stored traces at a time (a trace's segments stay together)."""
    chunk: list[Segment] = []
    for index, text in enumerate(texts, 1):
        chunk.extend(_segments.decode(text))
        if index % size == 0:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@api_view("GET")
def export_summary(request: HttpRequest, run_id: int) -> HttpResponse:
    """The summary as a file, indented as the command line's ``--summary`` writes it."""
    run = services.run_of(request.user, run_id)
    if run.summary is None:
        return _not_ready(run)
    text = json.dumps(presenters.summary_document(run), indent=2) + "\n"
    return _download(HttpResponse(text, content_type="application/json"), run, "summary.json")


def _download(response: HttpResponse, run: Run, what: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{presenters.download_name(run, what)}"'
    return response


@api_view("GET")
def workload_presets(request: HttpRequest) -> HttpResponse:
    topology_id = _query_number(request, "topology", 1, MAX_ID, whole=True)
    if topology_id is None:
        raise InvalidInput([Problem("/topology", "is required: the id of the topology to send to")])
    topology = designer.topology_of(request.user, int(topology_id))
    return JsonResponse({"presets": presets.offered(designer.latest_version(topology).document, topology.template)})
