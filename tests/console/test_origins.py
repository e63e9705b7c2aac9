"""console/origins.py: the WebSocket handshake is accepted from the console's own origin (scheme,
host and port) and from CSRF_TRUSTED_ORIGINS, never from another page of the same machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from console.origins import allowed_origin
from tests.live import LiveConsole
from tests.tracer.test_consumers import run_async


def scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str | None = None,
          **headers: str) -> dict[str, Any]:
    sent = {"host": host, **({"origin": origin} if origin is not None else {}),
            **{name.replace("_", "-"): value for name, value in headers.items()}}
    found: dict[str, Any] = {"type": "websocket", "headers": [(k.encode(), v.encode()) for k, v in sent.items()]}
    if scheme is not None:
        found["scheme"] = scheme
    return found


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000", "HTTP://127.0.0.1:8000"])
def test_the_consoles_own_origin_is_accepted(origin: str) -> None:
    assert allowed_origin(scope(origin))


@pytest.mark.parametrize("origin, why", [
    ("http://127.0.0.1:9999", "another port of the same host"),
    ("http://127.0.0.1", "the same host on the default port"),
    ("https://127.0.0.1:8000", "another scheme"),
    ("http://localhost:8000", "another host name, though an allowed one"),
    ("http://evil.example:8000", "another host"),
    ("null", "a sandboxed page or a file"),
    (None, "no Origin at all"),
])
def test_any_other_origin_is_refused(origin: str | None, why: str) -> None:
    assert not allowed_origin(scope(origin)), why


def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin() -> None:
    # DNS rebinding: evil.example resolves to the console; its page's origin matches its Host.
    assert not allowed_origin(scope("http://evil.example:8000", host="evil.example:8000"))


def test_a_secure_socket_belongs_to_the_https_origin() -> None:
    assert allowed_origin(scope("https://127.0.0.1:8000", scheme="wss"))
    assert not allowed_origin(scope("http://127.0.0.1:8000", scheme="wss"))


def test_behind_a_proxy_the_trusted_origins_are_accepted(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["wiretap.example.org", "127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://wiretap.example.org", "https://*.classroom.example"]

    assert allowed_origin(scope("https://wiretap.example.org", host="wiretap.example.org"))
    assert allowed_origin(scope("https://wiretap.example.org", host="127.0.0.1:8000"))  # Host rewritten by the proxy
    assert allowed_origin(scope("https://room1.classroom.example", host="wiretap.example.org"))
    assert not allowed_origin(scope("http://wiretap.example.org", host="127.0.0.1:8000"))  # not the trusted scheme
    assert not allowed_origin(scope("https://wiretap.example.org.evil", host="wiretap.example.org"))


def test_the_proxys_ssl_header_makes_the_own_origin_https(settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert allowed_origin(scope("https://127.0.0.1:8000", x_forwarded_proto="https"))
    assert not allowed_origin(scope("http://127.0.0.1:8000", x_forwarded_proto="https"))
    assert allowed_origin(scope("http://127.0.0.1:8000"))  # no header: the connection's own scheme


# A real console and a real client -------------------------------------------------------------

@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    built = LiveConsole(Path(tmp_path_factory.mktemp("origins")), production_like=False, env={"LOG_LEVEL": "WARNING"})
    yield built
    built.stop()


def handshake(console: LiveConsole, origin: str) -> int | str:
    """The HTTP status that refused the handshake, or the close code of an accepted socket (the
    run does not exist: the consumer answers 4404 after accepting)."""
    url = console.url.replace("http://", "ws://") + "/ws/runs/999999/"

    async def attempt() -> int | str:
        try:
            async with connect(url, additional_headers={"Cookie": f"sessionid={console.session}", "Origin": origin},
                               open_timeout=20) as socket:
                await socket.wait_closed()
                return f"closed {socket.close_code}"
        except InvalidStatus as refused:
            return refused.response.status_code

    result: int | str = run_async(attempt)
    return result


def test_a_real_client_from_the_consoles_own_page_is_let_in(console: LiveConsole) -> None:
    assert handshake(console, console.url) == "closed 4404"


@pytest.mark.parametrize("foreign", ["another port", "another scheme", "another host"])
def test_a_real_client_from_another_origin_is_refused_with_403(console: LiveConsole, foreign: str) -> None:
    port = console.url.rsplit(":", 1)[1]
    origin = {"another port": f"http://127.0.0.1:{int(port) + 1}", "another scheme": f"https://127.0.0.1:{port}",
              "another host": f"http://evil.example:{port}"}[foreign]

    assert handshake(console, origin) == 403
