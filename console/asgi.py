"""The ASGI entry point Daphne serves: `daphne console.asgi:application`.

HTTP goes to Django, behind Django's static-files handler when SERVE_STATIC is on (the
default: one process serves everything, on DEBUG or not). WebSocket routes (the live run
stream, `/ws/runs/<id>/`) join the router with the runs app.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
# Django is set up here, before anything imports models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from console.routing import websocket_urlpatterns  # noqa: E402

http_application = ASGIStaticFilesHandler(django_application) if settings.SERVE_STATIC else django_application

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
