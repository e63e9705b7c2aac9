"""The designer's pages: the list of the user's topologies and the canvas of one.

The list page works with plain forms (no JavaScript): create empty or from a template,
rename, delete after a confirmation page. Every form posts to a view below and comes back.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designer import services
from designer.catalog import templates
from designer.models import Topology


def _topology(request: HttpRequest, topology_id: int) -> Topology:
    try:
        return services.topology_of(request.user, topology_id)
    except ObjectDoesNotExist:
        raise Http404("no such topology") from None


@require_GET
def topology_list(request: HttpRequest) -> HttpResponse:
    return render(request, "designer/topology_list.html", {
        "topologies": services.topologies_of(request.user),
        "templates": templates(),
        "name_max_length": services.NAME_MAX_LENGTH,
    })


@require_POST
def topology_create(request: HttpRequest) -> HttpResponse:
    """An empty topology named by the form, or a copy of the chosen template."""
    template_id = request.POST.get("template") or None
    name = request.POST.get("name")
    try:
        version = services.create_topology(request.user, name=name if name or not template_id else None,
                                           template_id=template_id)
    except services.InvalidInput as bad:
        messages.error(request, f"Could not create the topology: {bad.problems[0].message}.")
        return redirect("home")
    except services.QuotaExceeded as full:
        messages.error(request, f"Could not create the topology: {full}.")
        return redirect("home")
    return redirect("topology-designer", topology_id=version.topology_id)


@require_POST
def topology_rename(request: HttpRequest, topology_id: int) -> HttpResponse:
    topology = _topology(request, topology_id)
    old_name = topology.name
    try:
        services.rename_topology(topology, request.POST.get("name", ""), request.user)
    except services.InvalidInput as bad:
        messages.error(request, f"Could not rename {old_name}: the name {bad.problems[0].message}.")
    except services.Conflict:
        messages.error(request, f"Could not rename {old_name}: it was saved meanwhile; try again.")
    except services.QuotaExceeded as full:
        messages.error(request, f"Could not rename {old_name}: {full}.")
    else:
        messages.success(request, f"Renamed to {topology.name}.")
    return redirect("home")


@require_http_methods(["GET", "POST"])
def topology_delete(request: HttpRequest, topology_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    topology = _topology(request, topology_id)
    if request.method == "POST":
        services.delete_topology(topology)
        messages.success(request, f"Deleted {topology.name}.")
        return redirect("home")
    return render(request, "designer/topology_confirm_delete.html", {"topology": topology})


@require_GET
def topology_history(request: HttpRequest, topology_id: int) -> HttpResponse:
    """Every saved version, newest first, each to open (as JSON) or restore."""
    topology = _topology(request, topology_id)
    return render(request, "designer/topology_history.html", {
        "topology": topology, "versions": services.list_versions(topology)})


@require_POST
def topology_restore(request: HttpRequest, topology_id: int, number: int) -> HttpResponse:
    """Save version ``number``'s document as the newest version, then open the designer."""
    topology = _topology(request, topology_id)
    try:
        restored = services.restore_version(topology, number, topology.version, request.user)
    except ObjectDoesNotExist:
        raise Http404("no such version") from None
    except services.Conflict:
        messages.error(request, "It was saved meanwhile; nothing was restored. Look again and retry.")
        return redirect("topology-history", topology_id=topology.pk)
    except services.QuotaExceeded as full:
        messages.error(request, f"Nothing was restored: {full}.")
        return redirect("topology-history", topology_id=topology.pk)
    messages.success(request, f"Restored version {number} as version {restored.number}.")
    return redirect("topology-designer", topology_id=topology.pk)


@require_GET
def topology_designer(request: HttpRequest, topology_id: int) -> HttpResponse:
    """The canvas; its script reads ``designer_config`` (rendered with json_script as #designer-config)."""
    topology = _topology(request, topology_id)
    config = {
        "topology_id": topology.pk,
        "user": request.user.get_username(),
        "csrf_header": "X-CSRFToken",
        # The template it started from (its explanation and workload are in the catalog), or null.
        "template": topology.template or None,
        "urls": {
            "catalog": reverse("api-catalog"),
            "topology": reverse("api-topology", args=[topology.pk]),
            "validate": reverse("api-validate", args=[topology.pk]),
            "versions": reverse("api-versions", args=[topology.pk]),
            "topologies": reverse("api-topologies"),
            "home": reverse("home"),
            "history": reverse("topology-history", args=[topology.pk]),
        },
    }
    return render(request, "designer/canvas.html", {"topology": topology, "designer_config": config})
