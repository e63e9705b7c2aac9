"""WebSocket routes, served by Channels (console/asgi.py). Empty until the live run view."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
