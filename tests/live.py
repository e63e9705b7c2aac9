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

import json
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


# A whole console, signed in ------------------------------------------------------------------

POSTGRES_URL = os.environ.get("WIRETAP_E2E_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER = os.environ.get("WIRETAP_E2E_REDIS_URL", "redis://127.0.0.1:6379")

SIGN_IN_SCRIPT = """
import json
from django.contrib.auth.models import User
from django.test import Client
from designer.services import create_topology
alice = User.objects.create_user('alice', password='correct-horse-battery-9')
client = Client()
client.force_login(alice)
created = create_topology(alice, **json.loads({arguments!r})).topology
print(json.dumps([client.cookies['sessionid'].value, created.pk]))
"""


def manage(env: Mapping[str, str], *args: str) -> str:
    """``manage.py`` with these variables; its output, or RuntimeError with the end of it."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


class ServiceMissing(RuntimeError):
    """PostgreSQL or Redis, which the production-like mode needs, cannot be reached."""


def free_redis_url() -> str:
    """A Redis database (1-15) of the machine's server that holds nothing and nobody uses: this
    console's own."""
    import random

    import redis

    server = redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.exceptions.ConnectionError as error:
        raise ServiceMissing(
            f"Redis is not reachable at {REDIS_SERVER} ({error}). Start it: redis-server --daemonize yes "
            "--bind 127.0.0.1 --port 6379 --save '' --appendonly no (.ci/run installs and starts it), "
            "or set WIRETAP_E2E_REDIS_URL.") from None
    # Empty is not enough: a worker left running by a crashed session waits on an empty database
    # (its queue drained) and would take this console's runs.
    in_use = {int(client["db"]) for client in server.client_list()}
    free = [n for n in range(1, 16) if n not in in_use and not redis.Redis.from_url(f"{REDIS_SERVER}/{n}").dbsize()]
    if not free:
        raise ServiceMissing(f"Redis at {REDIS_SERVER} has no database among 1-15 that is empty with no client")
    return f"{REDIS_SERVER}/{random.choice(free)}"


def postgres_database(prefix: str = "wiretap_live") -> tuple[str, str]:
    """A new database on the machine's PostgreSQL server: its name and its DATABASE_URL."""
    name = f"{prefix}_{os.getpid()}_{os.urandom(4).hex()}"
    _postgres(f'CREATE DATABASE "{name}"')
    return name, POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(name: str) -> None:
    _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres(statement: str) -> None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as connection:
            connection.execute(statement)
    except psycopg.OperationalError as error:
        raise ServiceMissing(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({error}). Start it: pg_ctlcluster "
            "--skip-systemctl-redirect $(ls /etc/postgresql) main start (.ci/run does), or set "
            "WIRETAP_E2E_POSTGRES_URL.") from None


class LiveConsole:
    """A console run as its users run it, with alice signed in and one topology of hers.

    Embedded: Daphne with its worker thread, SQLite in ``log_dir``, the in-memory layer.
    Production-like: a PostgreSQL database and a Redis database of its own on the machine's
    servers (so that two sessions on one machine never take each other's runs), ``workers``
    separate `celery -A console worker` processes, and Daphne. ``topology`` is what
    ``designer.services.create_topology`` takes (``template_id=...`` or ``document=...``).
    """

    def __init__(self, log_dir: Path, *, production_like: bool, workers: int = 1,
                 env: Mapping[str, str] | None = None, topology: Mapping[str, Any] | None = None) -> None:
        self.log_dir = log_dir
        self.daphne: Daphne | None = None
        self.workers: list[CeleryWorker] = []  # a test may replace one (a killed worker's successor)
        self.database = ""
        if production_like:
            self.redis_url = free_redis_url()
            self.database, url = postgres_database()
            base = {"DATABASE_URL": url, "REDIS_URL": self.redis_url, "CELERY_WORKER_EMBEDDED": "false"}
        else:
            self.redis_url = ""
            base = {"DATABASE_URL": f"sqlite:///{log_dir / 'db.sqlite3'}", "REDIS_URL": "",
                    "CELERY_WORKER_EMBEDDED": "true"}
        self.env = {**base, "DEBUG": "true", **(env or {})}
        try:
            self.manage("migrate", "--no-input")
            arguments = json.dumps(dict(topology or {"template_id": "scalable-webhook"}))
            signed_in = self.manage("shell", "-c", SIGN_IN_SCRIPT.format(arguments=arguments))
            self.session, self.topology = json.loads(signed_in.strip().splitlines()[-1])
            self.csrf = os.urandom(16).hex()
            for n in range(1, workers + 1 if production_like else 1):
                self.workers.append(CeleryWorker(f"worker{n}", self.env, log_dir))
            self.daphne = Daphne(self.env, log_dir)
        except BaseException:
            self.stop()
            raise

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def api(self, method: str, path: str, body: Any = None, timeout_s: float = 30) -> Any:
        """A JSON API call as the page makes it (session cookie, CSRF token)."""
        request = urllib.request.Request(
            self.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Cookie": f"sessionid={self.session}; csrftoken={self.csrf}", "X-CSRFToken": self.csrf,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read())

    def socket(self, run_id: int, after: int = 0) -> Any:
        """The run's stream as the page opens it: ``async with console.socket(id) as socket``."""
        from websockets.asyncio.client import connect

        url = self.url.replace("http://", "ws://") + f"/ws/runs/{run_id}/?after={after}"
        return connect(url, additional_headers={"Cookie": f"sessionid={self.session}", "Origin": self.url},
                       max_size=None)

    @property
    def url(self) -> str:
        assert self.daphne is not None
        return self.daphne.url

    def stop(self) -> None:
        """Every process this console has now, then its databases."""
        for process in [*([self.daphne] if self.daphne else []), *self.workers]:
            process.stop()
        if self.database:
            drop_postgres_database(self.database)
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
