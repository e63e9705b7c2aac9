"""Which pages may open the console's WebSockets: the console's own origin, and trusted ones.

A browser sends the session cookie with a WebSocket handshake from any page, and CORS does not
apply to WebSockets: the handshake's ``Origin`` is the only thing that tells the console's own
run page from another site's (or another local port's) script. Channels'
AllowedHostsOriginValidator compares only the host, so a page on http://localhost:9999 could
read alice's stream and cancel her run. This one accepts exactly what Django's CSRF check
accepts for a form (django/middleware/csrf.py, ``_origin_verified``):

- the console's own origin: the scheme the request came in with (``wss`` -> ``https``; with
  ``SECURE_PROXY_SSL_HEADER`` set, as Django reads it) and its ``Host``, port included;
- an origin listed in ``CSRF_TRUSTED_ORIGINS`` (the console behind an HTTPS proxy), with its
  ``*.`` subdomain patterns;

and, in both cases, only when the ``Host`` is one of ``ALLOWED_HOSTS`` (a page of another
domain that resolves to the console, DNS rebinding, brings its own Host). No Origin: refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host


class SameOriginValidator:
    """ASGI middleware for the WebSocket routes: the handshake is denied (HTTP 403) unless
    ``allowed_origin`` accepts it."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards WebSocket connections only")
        if allowed_origin(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def allowed_origin(scope: dict[str, Any]) -> bool:
    headers = _headers(scope)
    origin, host = headers.get("origin", "").lower(), headers.get("host", "").lower()
    if not origin or not host or not _allowed_host(host):
        return False
    if origin == f"{_scheme(scope, headers)}://{host}":
        return True
    return _trusted(origin)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


def _allowed_host(host: str) -> bool:
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as Django's HttpRequest.get_host
    return bool(domain) and validate_host(domain, allowed)


def _scheme(scope: dict[str, Any], headers: dict[str, str]) -> str:
    """``https`` or ``http``: what the page's own origin starts with."""
    proxy_header: tuple[str, str] | None = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header is not None:
        name, secure_value = proxy_header
        name = name.removeprefix("HTTP_").replace("_", "-").lower()
        if name in headers:
            return "https" if headers[name].split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme", "ws") in ("wss", "https") else "http"


def _trusted(origin: str) -> bool:
    trusted = [entry.lower() for entry in settings.CSRF_TRUSTED_ORIGINS]
    if origin in trusted:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return any(
        entry.startswith(f"{parts.scheme}://*") and is_same_domain(parts.netloc, entry.split("://", 1)[1][1:])
        for entry in trusted
    )
