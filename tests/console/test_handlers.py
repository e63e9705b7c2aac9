"""console/handlers.py: Django's requests on a few reused threads, one request a thread at a time.

The requests go through console.asgi's application, as Daphne sends them, to views of this
module (``urlpatterns``, mounted with ROOT_URLCONF) that record which thread serves them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.signals import request_started
from django.db import connection
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path

from console.asgi import application

# The threads keep their connections from test to test, and request_started checks them.
pytestmark = pytest.mark.django_db(transaction=True)

seen: list[dict[str, Any]] = []
inside = {"now": 0, "most": 0}
lock = threading.Lock()


@login_not_required
def where(request: HttpRequest) -> HttpResponse:
    """Records its thread and how many requests were in a view with it; overlaps them a little."""
    with lock:
        inside["now"] += 1
        inside["most"] = max(inside["most"], inside["now"])
    time.sleep(0.01)  # lets the other requests in flight reach their views meanwhile
    with lock:
        inside["now"] -= 1
    seen.append({"thread": threading.current_thread().name})
    return HttpResponse("ok")


@login_not_required
def query(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


@login_not_required
def close(request: HttpRequest) -> HttpResponse:
    connection.close()
    return HttpResponse("ok")


urlpatterns = [path("where/", where), path("query/", query), path("close/", close)]


def serve(paths: list[str]) -> list[int]:
    """Send these GETs at once through the application; their statuses."""
    with ThreadPoolExecutor(max_workers=1) as thread:  # Playwright may hold this thread's event loop
        return thread.submit(asyncio.run, _serve(paths)).result()


async def _serve(paths: list[str]) -> list[int]:
    return list(await asyncio.gather(*(_get(one) for one in paths)))


async def _get(where: str) -> int:
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": where, "raw_path": where.encode(),
             "query_string": b"", "headers": [(b"host", b"127.0.0.1")], "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    while (await communicator.receive_output(10)).get("more_body"):
        pass
    await communicator.wait()
    status: int = start["status"]
    return status


@pytest.fixture
def recorded() -> Any:
    """The views' records, and the thread each request's signals ran on."""
    seen.clear()
    inside.update(now=0, most=0)
    on_thread: dict[str, list[str]] = {}

    def started(**_: Any) -> None:
        on_thread.setdefault(threading.current_thread().name, []).append("started")

    request_started.connect(started)
    with override_settings(ROOT_URLCONF=__name__):
        yield on_thread
        # As many requests at once as threads take every thread: none keeps a connection to this test's database.
        serve(["/close/"] * settings.WIRETAP_REQUEST_THREADS)
    request_started.disconnect(started)


def test_requests_beyond_the_threads_wait_for_one_and_reuse_it(recorded: Any) -> None:
    requests = settings.WIRETAP_REQUEST_THREADS * 3

    statuses = serve(["/where/"] * requests)

    assert statuses == [200] * requests
    threads = {record["thread"] for record in seen}
    assert len(threads) <= settings.WIRETAP_REQUEST_THREADS
    assert all(name.startswith("wiretap-request") for name in threads)
    assert inside["most"] <= settings.WIRETAP_REQUEST_THREADS


def test_a_requests_signals_and_view_run_on_the_same_thread(recorded: Any) -> None:

    serve(["/where/"] * 4)

    # request_started ran on every thread a view ran on: so the connection it closes is the view's.
    assert {record["thread"] for record in seen} <= set(recorded)


def test_a_thread_keeps_its_database_connection_from_one_request_to_the_next(recorded: Any, monkeypatch: Any) -> None:
    # The console's default (tests/conftest.py sets 0); the threads' connections share this dictionary.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    opened: list[str] = []

    def created(**_: Any) -> None:
        opened.append(threading.current_thread().name)

    connection_created.connect(created)
    try:
        for _ in range(3):
            serve(["/query/"] * settings.WIRETAP_REQUEST_THREADS)
    finally:
        connection_created.disconnect(created)

    # Three rounds, one connection a thread: the second and third rounds opened none.
    assert 0 < len(opened) <= settings.WIRETAP_REQUEST_THREADS
