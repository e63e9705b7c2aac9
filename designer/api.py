"""The designer's JSON API (formats.md section 5), described by /api/openapi.json.

Each view parses, calls a service and answers; designer/http.py turns the services' errors
into JSON answers (400 invalid, 404, 409 conflict) and refuses anonymous callers with 401.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from designer import openapi, presenters, services
from designer.catalog import catalog_json
from designer.http import api_view, json_body, no_content


@api_view("GET")
def catalog(request: HttpRequest) -> HttpResponse:
    return HttpResponse(catalog_json(), content_type="application/json")


@api_view("GET", "POST")
def topologies(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        items = services.topologies_of(request.user)
        return JsonResponse({"topologies": [presenters.topology_summary(item) for item in items]})
    body = json_body(request, allowed=("name", "document", "template"))
    version = services.create_topology(request.user, name=body.get("name"), document=body.get("document"),
                                       template_id=body.get("template"))
    return JsonResponse(presenters.topology(version), status=201)


@api_view("GET", "PUT", "DELETE")
def topology(request: HttpRequest, topology_id: int) -> HttpResponse:
    current = services.topology_of(request.user, topology_id)
    if request.method == "DELETE":
        services.delete_topology(current)
        return no_content()
    if request.method == "PUT":
        body = json_body(request, allowed=("version", "document", "name"), required=("version", "document"))
        saved = services.save_topology(current, body["version"], body["document"], request.user, name=body.get("name"))
        return JsonResponse(presenters.topology(saved))
    return JsonResponse(presenters.topology(services.latest_version(current)))


@api_view("GET")
def versions(request: HttpRequest, topology_id: int) -> HttpResponse:
    current = services.topology_of(request.user, topology_id)
    return JsonResponse({"versions": [presenters.version_summary(v) for v in services.list_versions(current)]})


@api_view("GET")
def version(request: HttpRequest, topology_id: int, number: int) -> HttpResponse:
    current = services.topology_of(request.user, topology_id)
    return JsonResponse(presenters.version_detail(services.get_version(current, number)))


@api_view("POST")
def restore(request: HttpRequest, topology_id: int, number: int) -> HttpResponse:
    current = services.topology_of(request.user, topology_id)
    body = json_body(request, allowed=("version",), required=("version",))
    restored = services.restore_version(current, number, body["version"], request.user)
    return JsonResponse(presenters.topology(restored))


@api_view("POST")
def validate(request: HttpRequest, topology_id: int) -> HttpResponse:
    """The findings of a draft sent in the body, else of the latest saved version."""
    current = services.topology_of(request.user, topology_id)
    body = json_body(request, allowed=("document",))
    document = body["document"] if "document" in body else services.latest_version(current).document
    return JsonResponse({"problems": presenters.problems(services.validate_document(document))})


@api_view("GET")
def openapi_document(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 2})
