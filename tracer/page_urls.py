"""The run view's pages (mounted at the site's root, beside designer.urls)."""

from django.urls import path

from tracer import pages

urlpatterns = [
    path("topologies/<int:topology_id>/run/", pages.run_new, name="run-new"),
    path("runs/<int:run_id>/", pages.run_page, name="run-page"),
]
