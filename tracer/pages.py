"""The run view's pages: the workload editor a design is run from, and the page of one run.

Both are thin: they check the user may see the topology or run (404 otherwise) and hand the
page's modules (static/tracer/) their configuration through json_script; everything else comes
from the JSON API and the run's WebSocket stream.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from designer import services as designer
from designer.catalog import template
from designer.models import Topology
from tracer import presenters, presets, services
from tracer.models import Run


def _topology(request: HttpRequest, topology_id: int) -> Topology:
    try:
        return designer.topology_of(request.user, topology_id)
    except ObjectDoesNotExist:
        raise Http404("no such topology") from None


def _run(request: HttpRequest, run_id: int) -> Run:
    try:
        return services.run_of(request.user, run_id)
    except ObjectDoesNotExist:
        raise Http404("no such run") from None


@require_GET
def run_new(request: HttpRequest, topology_id: int) -> HttpResponse:
    """The workload editor (presets, JSON, seed, speed) and its Run button."""
    topology = _topology(request, topology_id)
    version = designer.latest_version(topology)
    config: dict[str, Any] = {
        "topology_id": topology.pk,
        "topology_name": topology.name,
        "version": version.number,
        "presets": presets.offered(version.document, topology.template),
        "again": _again(request, topology),
        "lesson": _lesson(topology),
        "urls": {
            "presets": f"{reverse('api-workload-presets')}?topology={topology.pk}",
            "start": reverse("api-run-start", args=[topology.pk]),
            "run_page": reverse("run-page", args=[0]).replace("/0/", "/{id}/"),
            "designer": reverse("topology-designer", args=[topology.pk]),
        },
    }
    recent = Run.objects.filter(topology=topology, owner=request.user).order_by("-pk")[:10]
    return render(request, "tracer/run_new.html", {"topology": topology, "runs": recent, "run_config": config,
                                                   "lesson": config["lesson"]})


def _again(request: HttpRequest, topology: Topology) -> dict[str, Any] | None:
    """``?again=<run id>``: that run's workload, seed and speed, to fill the form with (None without)."""
    text = request.GET.get("again", "")
    if not text.isdigit():
        return None
    run = Run.objects.filter(pk=int(text), topology=topology, owner=request.user).first()
    if run is None:
        return None
    # The seed as text: a JavaScript number would round one above 2**53.
    return {"run": run.pk, "workload": run.workload, "seed": str(run.seed), "speed": run.speed}


def _lesson(topology: Topology) -> dict[str, str] | None:
    """What the template a design was made from shows when it runs (its README's paragraph)."""
    chosen = template(topology.template) if topology.template else None
    if chosen is None or not chosen.lesson:
        return None
    return {"template": chosen.name, "text": chosen.lesson}


@require_GET
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    """The live view of one run; its modules read ``run_config`` (#run-config)."""
    run = _run(request, run_id)
    config: dict[str, Any] = {
        "run": presenters.run(run),
        "topology": run.document,
        "topology_name": run.topology.name,
        "seed": str(run.seed),  # as text: a JavaScript number rounds one above 2**53
        "urls": {
            "run": reverse("api-run", args=[run.pk]),
            "catalog": reverse("api-catalog"),
            "summary": reverse("api-run-summary", args=[run.pk]),
            "traces": reverse("api-run-traces", args=[run.pk]),
            "trace": reverse("api-run-trace", args=[run.pk, "TRACE"]).replace("TRACE", "{trace_id}"),
            "cancel": reverse("api-run-cancel", args=[run.pk]),
            "control": reverse("api-run-control", args=[run.pk]),
            "export_xray": reverse("api-run-export-xray", args=[run.pk]),
            "export_otlp": reverse("api-run-export-otlp", args=[run.pk]),
            "export_summary": reverse("api-run-export-summary", args=[run.pk]),
            "stream": f"/ws/runs/{run.pk}/",
            "designer": reverse("topology-designer", args=[run.topology_id]),
            "again": f"{reverse('run-new', args=[run.topology_id])}?again={run.pk}",
        },
    }
    return render(request, "tracer/run.html", {"run": run, "run_config": config, "lesson": _lesson(run.topology)})
