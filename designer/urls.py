"""The designer's pages (the JSON API is in designer/api_urls.py)."""

from django.urls import path

from designer import views

urlpatterns = [
    path("", views.topology_list, name="home"),
    path("topologies/new/", views.topology_create, name="topology-create"),
    path("topologies/<int:topology_id>/", views.topology_designer, name="topology-designer"),
    path("topologies/<int:topology_id>/rename/", views.topology_rename, name="topology-rename"),
    path("topologies/<int:topology_id>/delete/", views.topology_delete, name="topology-delete"),
    path("topologies/<int:topology_id>/history/", views.topology_history, name="topology-history"),
    path("topologies/<int:topology_id>/history/<int:number>/restore/", views.topology_restore,
         name="topology-restore"),
]
