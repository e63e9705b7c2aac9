"""WebSocket routes, served by Channels (console/asgi.py)."""

from django.urls import URLPattern, path

from tracer.consumers import RunConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/runs/<int:run_id>/", RunConsumer.as_asgi()),
]
