"""URLs of the runs' JSON API, mounted under /api/ (each is described in designer/openapi.py)."""

from django.urls import path

from tracer import api

urlpatterns = [
    path("topologies/<int:topology_id>/runs/", api.start, name="api-run-start"),
    path("runs/<int:run_id>/", api.run, name="api-run"),
    path("runs/<int:run_id>/cancel/", api.cancel, name="api-run-cancel"),
    path("runs/<int:run_id>/control/", api.control, name="api-run-control"),
    path("runs/<int:run_id>/summary/", api.summary, name="api-run-summary"),
    path("runs/<int:run_id>/traces/", api.traces, name="api-run-traces"),
    path("runs/<int:run_id>/traces/<str:trace_id>/", api.trace, name="api-run-trace"),
    path("runs/<int:run_id>/export/xray.jsonl", api.export_xray, name="api-run-export-xray"),
    path("runs/<int:run_id>/export/otlp.json", api.export_otlp, name="api-run-export-otlp"),
    path("runs/<int:run_id>/export/summary.json", api.export_summary, name="api-run-export-summary"),
    path("workload-presets/", api.workload_presets, name="api-workload-presets"),
]
