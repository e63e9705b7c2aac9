"""URLs of the JSON API, mounted under /api/ (each is described in designer/openapi.py)."""

from django.urls import path

from designer import api

urlpatterns = [
    path("catalog/", api.catalog, name="api-catalog"),
    path("topologies/", api.topologies, name="api-topologies"),
    path("topologies/<int:topology_id>/", api.topology, name="api-topology"),
    path("topologies/<int:topology_id>/versions/", api.versions, name="api-versions"),
    path("topologies/<int:topology_id>/versions/<int:number>/", api.version, name="api-version"),
    path("topologies/<int:topology_id>/versions/<int:number>/restore/", api.restore, name="api-restore"),
    path("topologies/<int:topology_id>/validate/", api.validate, name="api-validate"),
    path("openapi.json", api.openapi_document, name="api-openapi"),
]
