"""Real console processes for the tests that need a WebSocket: Daphne and Celery workers.

pytest-django's ``live_server`` is a WSGI server in a thread: no WebSocket, and no worker. The
browser tests of the run page and the end-to-end tests start the console as a user does instead,
``daphne console.asgi:application`` in a subprocess, on a socket the test process opened (passed
with ``--fd``, so no other process can take the port between choosing and binding it), and
against the database the tests write to (``database_url``). Readiness is a condition polled
(an HTTP answer, a worker's "ready" line), never a fixed wait; every process is stopped, and its
log shown, when the fixture ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 60.0


class ProcessFailed(RuntimeError):
    """A console process exited, or did not become ready in time; the message has its log."""


def database_url(database: Mapping[str, Any]) -> str:
    """The DATABASE_URL that names a Django DATABASES entry (SQLite file or PostgreSQL)."""
    engine = database["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    if engine == "django.db.backends.postgresql":
        user = database.get("USER") or "postgres"
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
    raise ValueError(f"no DATABASE_URL for the engine {engine}")


def wait_until(condition: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s} s")
        time.sleep(interval_s)


class ConsoleProcess:
    """One subprocess of the console (Daphne or a Celery worker) with its log in a file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path,
                 pass_fds: tuple[int, ...] = ()) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=pass_fds,
                                        start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ProcessFailed(f"{self.name} exited with status {self.process.returncode}:\n{self.log()[-4000:]}")

    def wait_ready(self, ready: Callable[[], bool], timeout_s: float = READY_TIMEOUT_S) -> None:
        def alive_and_ready() -> bool:
            self.check_alive()
            return ready()

        try:
            wait_until(alive_and_ready, timeout_s, f"{self.name} ready")
        except TimeoutError as error:
            raise ProcessFailed(f"{error}; its log:\n{self.log()[-4000:]}") from None

    def kill(self) -> None:
        """SIGKILL: what a crashed machine or the OOM killer does (no cleanup at all)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, listening; Daphne serves on it (``--fd``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Daphne(ConsoleProcess):
    """``daphne console.asgi:application`` on a free port; ``url`` is its base URL (no slash)."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, name: str = "daphne") -> None:
        self._socket = listening_socket()
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        fd = self._socket.fileno()
        command = [sys.executable, "-m", "daphne", "--fd", str(fd), "--proxy-headers",
                   "console.asgi:application"]
        super().__init__(name, command, env, log_dir, pass_fds=(fd,))
        # The login page answers without a session: the first answer also starts the embedded worker.
        self.wait_ready(lambda: _answers(f"{self.url}/accounts/login/"))

    def stop(self) -> None:
        super().stop()
        self._socket.close()


class CeleryWorker(ConsoleProcess):
    """``celery -A console worker`` (solo pool, as ``make worker``), ready once it says so."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        command = [sys.executable, "-m", "celery", "-A", "console", "worker", "-P", "solo", "-n", f"{name}@%h",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        super().__init__(name, command, env, log_dir)
        self.wait_ready(lambda: " ready." in self.log())
