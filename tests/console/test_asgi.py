"""console/asgi.py, the application Daphne serves: pages, the API and static files through ASGI."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.routing import ProtocolTypeRouter
from django.test import override_settings

from console.asgi import application


def get(path: str) -> dict[str, Any]:
    """Send one GET through the ASGI application as Daphne would; the status, headers and body."""
    # A thread of its own: Playwright's sync API (browser tests in the same worker) keeps an
    # event loop running in the main thread.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, _get(path)).result()


async def _get(path: str) -> dict[str, Any]:
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"host", b"127.0.0.1")], "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        # The ASGI spec lets the last body message leave "body" out.
        chunk = await communicator.receive_output(10)
        body += chunk.get("body", b"")
        if not chunk.get("more_body"):
            break
    await communicator.wait()
    return {"status": start["status"], "headers": dict(start["headers"]), "body": body}


def test_the_application_routes_http_and_websocket() -> None:
    assert isinstance(application, ProtocolTypeRouter)
    assert set(application.application_mapping) == {"http", "websocket"}


@pytest.mark.parametrize("path, content_type", [
    ("/static/console/console.css", b"text/css"),
    ("/static/vendor/cytoscape/cytoscape.esm.min.mjs", b"text/javascript"),
])
def test_static_files_are_served_through_asgi(path: str, content_type: bytes) -> None:
    response = get(path)

    assert response["status"] == 200
    assert response["headers"][b"Content-Type"].startswith(content_type)
    assert response["body"]


def test_pages_are_served_through_asgi() -> None:
    response = get("/")

    assert response["status"] == 302
    assert response["headers"][b"Location"] == b"/accounts/login/?next=/"


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG", "no DEBUG"])
def test_an_unknown_api_url_answers_json_through_asgi(debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = get("/api/nothing-here/")

    assert response["status"] == 404
    assert response["headers"][b"Content-Type"] == b"application/json"
    assert json.loads(response["body"]) == {"error": "not_found", "message": "nothing at /api/nothing-here/"}
