"""Django's ASGI handler, with each request's synchronous work in one hop to a reused thread.

Django's own handler costs, under a class of clients, more than the views it serves
(docs/benchmarks.md, "A class on the HTTP API"):

- it runs the middleware in its asynchronous mode, so every middleware (eight here, all
  synchronous) hops to the request's thread and back for its request half and again for its
  response half, and the view hops once more: each hop a future, an executor submission and
  two wake-ups of the event loop;
- it makes a new thread for every request (its ``ThreadSensitiveContext``), and ends it after,
  so every request also opens a new database connection;
- with as many threads as requests in flight, they take Python's lock from the event loop,
  which then answers every connection late.

This handler loads the same middleware in Django's synchronous mode and runs the whole chain in
one call, on one of WIRETAP_REQUEST_THREADS long-lived threads: a request waits for a
free one, uses it alone from its start to its end (the signals that open and close its database
connection included), and gives it back. A thread's connection then outlives its request as
DATABASE_CONN_MAX_AGE says, as under a threaded WSGI server. What runs for a request, and in which
order, is unchanged.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class Threads:
    """Single-thread executors lent to one request at a time; a request finding none waits its turn.

    Not an asyncio.Queue: that belongs to one event loop, and an application may be called from
    several in turn (the tests do). The most recently returned thread goes out first: its
    database connection is the least likely to have expired.
    """

    def __init__(self, count: int) -> None:
        self._idle = [ThreadPoolExecutor(max_workers=1, thread_name_prefix="wiretap-request") for _ in range(count)]
        self._waiting: deque[asyncio.Future[ThreadPoolExecutor]] = deque()
        self._lock = threading.Lock()

    async def take(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            waiter: asyncio.Future[ThreadPoolExecutor] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over just as the request was cancelled
                self.give_back(waiter.result())
            raise

    def give_back(self, thread: ThreadPoolExecutor) -> None:
        with self._lock:
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    try:
                        waiter.get_loop().call_soon_threadsafe(self._hand_over, waiter, thread)
                        return
                    except RuntimeError:  # its event loop is closed
                        continue
            self._idle.append(thread)

    def _hand_over(self, waiter: asyncio.Future[ThreadPoolExecutor], thread: ThreadPoolExecutor) -> None:
        if waiter.done():  # cancelled meanwhile
            self.give_back(thread)
        else:
            waiter.set_result(thread)


class ConsoleASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = Threads(threads)

    def load_middleware(self, is_async: bool = False) -> None:
        # ASGIHandler asks for the asynchronous chain; the synchronous one is the same middleware.
        super().load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = await self.threads.take()
        try:
            # Every thread-sensitive call of this request (signals, middleware, view, close) runs on it.
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(thread)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response


def application() -> ConsoleASGIHandler:
    """What ``django.core.asgi.get_asgi_application`` makes, with this handler and
    WIRETAP_REQUEST_THREADS threads."""
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    return ConsoleASGIHandler(settings.WIRETAP_REQUEST_THREADS)
