"""The runs' JSON API (formats.md section 5), described in designer/openapi.py.

Errors come back as designer/http.py makes them: 400 with problems, 404 for a run that is not
the caller's, 401 anonymous, 403 quota_exceeded when the caller's runs fill their quota.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import msgspec
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from designer import services as designer
from designer.http import api_view, error, json_body, no_content
from designer.services import InvalidInput
from emulator.otlp import to_otlp
from emulator.problems import Problem
from emulator.tracing import Segment
from tracer import presenters, presets, services
from tracer.models import Trace

MAX_PAGE = 500
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
        return JsonResponse({"error": "not_ready", "message": f"run {run.pk} is {run.status}: the summary comes "
                             "when it finishes or is cancelled"}, status=409)
    return JsonResponse(run.summary)


def _number(request: HttpRequest, name: str, *, whole: bool = False) -> float | None:
    text = request.GET.get(name)
    if text in (None, ""):
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise InvalidInput([Problem(f"/{name}", f"must be a {'whole ' if whole else ''}number, got {text!r}")]) \
            from None
    if value < 0:
        raise InvalidInput([Problem(f"/{name}", "must not be negative")])
    return value


@api_view("GET")
def traces(request: HttpRequest, run_id: int) -> HttpResponse:
    run = services.run_of(request.user, run_id)
    outcome = request.GET.get("outcome") or None
    if outcome is not None and outcome not in Trace.Outcome.values:
        raise InvalidInput([Problem("/outcome", f"must be one of {', '.join(Trace.Outcome.values)}")])
    after, limit = _number(request, "after", whole=True), _number(request, "limit", whole=True)
    page = services.traces_of(
        run, outcome=outcome, component=request.GET.get("component") or None,
        min_duration_ms=_number(request, "min_duration_ms"), max_duration_ms=_number(request, "max_duration_ms"),
        after=None if after is None else int(after), limit=min(int(limit or 100), MAX_PAGE) or 1)
    items = [presenters.trace_summary(row) for row in page]
    more = len(page) == min(int(limit or 100), MAX_PAGE)
    return JsonResponse({"traces": items, "next": page[-1].pk if page and more else None})


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

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-xray.jsonl"'
    return response


@api_view("GET")
def export_otlp(request: HttpRequest, run_id: int) -> HttpResponse:
    """OTLP/JSON: one ExportTraceServiceRequest per line, one per stored trace chunk of 500."""
    run = services.run_of(request.user, run_id)

    def documents() -> Iterator[bytes]:
        chunk: list[Segment] = []
        for index, text in enumerate(services.segment_texts(run), 1):
            chunk.extend(_segments.decode(text))
            if index % 500 == 0:
                yield msgspec.json.encode(to_otlp(chunk)) + b"\n"
                chunk = []
        if chunk:
            yield msgspec.json.encode(to_otlp(chunk)) + b"\n"

    response = StreamingHttpResponse(documents(), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-otlp.json"'
    return response


@api_view("GET")
def workload_presets(request: HttpRequest) -> HttpResponse:
    topology_id = _number(request, "topology", whole=True)
    if topology_id is None:
        raise InvalidInput([Problem("/topology", "is required: the id of the topology to send to")])
    topology = designer.topology_of(request.user, int(topology_id))
    return JsonResponse({"presets": presets.presets(designer.latest_version(topology).document)})
