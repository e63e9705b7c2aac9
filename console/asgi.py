"""The ASGI entry point Daphne serves: `daphne console.asgi:application`.

HTTP goes to Django (console/handlers.py: each request's middleware and view in one hop to
one of a few reused threads), behind Django's static-files handler when SERVE_STATIC is on (the
default: one process serves everything, on DEBUG or not). WebSocket routes (the live run
stream, `/ws/runs/<id>/`) come from console/routing.py, behind the same-origin check of
console/origins.py.

In the embedded mode (no REDIS_URL: the default), the first connection of any kind starts the
Celery worker inside this process (console/celery.py), so `make run` needs nothing else.
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

from console.handlers import application as django_asgi_application

# Django is set up here, before anything imports models.
django_application = django_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from console.celery import start_embedded_worker  # noqa: E402
from console.origins import SameOriginValidator  # noqa: E402
from console.routing import websocket_urlpatterns  # noqa: E402

http_application = ASGIStaticFilesHandler(django_application) if settings.SERVE_STATIC else django_application

class ConsoleRouter(ProtocolTypeRouter):
    """Routes by protocol; in the embedded mode, the first connection starts the worker."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        start_embedded_worker()  # once (then an attribute check); nothing unless CELERY_WORKER_EMBEDDED
        return await super().__call__(scope, receive, send)


application = ConsoleRouter(
    {
        "http": http_application,
        # The session only: the run consumer finds its user after the handshake, with the run, in
        # one database call (tracer/consumers.py).
        "websocket": SameOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
