"""The classroom setup: several Daphne processes behind one address, and the Celery workers.

`scripts/serve` (`make serve`) runs it. One Daphne process serves one core (Python runs one
thread at a time), so a class gets ``PROCESSES`` of them, default one per core. This process
listens on ``HOST:PORT`` with one socket per Daphne (SO_REUSEPORT) and hands each its own
(``daphne --fd``): the kernel spreads new connections evenly over them, and there is nothing to
install in front of them. ``WORKERS`` separate `celery -A console
worker` processes run the simulations (one run at a time each). Every process reads the same
settings, forced to the production-like mode: DEBUG=false (so SECRET_KEY and ALLOWED_HOSTS are
required), Redis for the broker and the channel layer (a run started through one process streams
through another), and a database several processes can share (PostgreSQL).

The processes run until Ctrl+C (or SIGTERM), which stops them all. One that exits on its own
after having run a while is started again; one that exits within ``SETTLE_S`` of its start stops
everything, since it would only fail again (a setting, the database, Redis).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
SETTLE_S = 10.0
STOP_TIMEOUT_S = 10.0
BACKLOG = 1024


class CannotServe(Exception):
    """A setting the classroom setup cannot run with; the message says what to set."""


@dataclass(frozen=True)
class Plan:
    """Where to listen and how many processes of each kind."""

    host: str
    port: int
    processes: int
    workers: int


def plan_from(environ: Mapping[str, str]) -> Plan:
    """HOST (default 0.0.0.0: every address of this machine), PORT (8000), PROCESSES (one per
    core), WORKERS (1)."""

    def whole(name: str, default: int, minimum: int) -> int:
        text = environ.get(name, "") or str(default)
        if not text.isdigit() or int(text) < minimum:
            raise CannotServe(f"{name}={text!r} must be a whole number, {minimum} or more")
        return int(text)

    return Plan(host=environ.get("HOST", "") or "0.0.0.0", port=whole("PORT", 8000, 1),
                processes=whole("PROCESSES", os.cpu_count() or 1, 1), workers=whole("WORKERS", 1, 0))


def setting_problems(settings: Any) -> list[str]:
    """Why these settings cannot serve a class from several processes (empty when they can)."""
    problems = []
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must name a Redis server (e.g. redis://127.0.0.1:6379/0): the processes share "
                        "the runs' queue and their live streams through it")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must name a PostgreSQL database (e.g. postgres://USER:PASSWORD@127.0.0.1:5432/"
                        "wiretap): several processes writing to one SQLite file wait on its lock in turn")
    return problems


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on one address (SO_REUSEPORT): the kernel spreads new
    connections evenly over them, one per Daphne process. (One socket shared by all would let the
    process that wakes first accept a whole burst of connections: Twisted accepts in a loop.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # First without SO_REUSEPORT, so that a console already serving on this port is an error, not a partner.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CannotServe(f"cannot listen on {host}:{port}: {error.strerror} (PORT= to choose another)") from None
    sockets = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


@dataclass
class Child:
    name: str
    command: list[str]
    pass_fds: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0


class Supervisor:
    """Starts the children, starts again one that exits after having run a while, stops them all."""

    def __init__(self, children: list[Child], env: Mapping[str, str]) -> None:
        self.children, self.env = children, dict(env)
        self.stopping = False

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.command, cwd=ROOT, env=self.env, pass_fds=child.pass_fds,
                                         stdin=subprocess.DEVNULL)
        child.started_at = time.monotonic()

    def run(self) -> int:
        """Until stopped (0) or until a child fails at once (1)."""
        for child in self.children:
            self.start(child)
        while not self.stopping:
            for child in self.children:
                assert child.process is not None
                status = child.process.poll()
                if status is None or self.stopping:
                    continue
                if time.monotonic() - child.started_at < SETTLE_S:
                    print(f"serve: {child.name} exited with status {status} within {SETTLE_S:.0f} s of its start "
                          "(see its output above); stopping everything", file=sys.stderr)
                    self.stop()
                    return 1
                print(f"serve: {child.name} exited with status {status}; starting it again", file=sys.stderr)
                self.start(child)
            time.sleep(0.5)
        return 0

    def stop(self, *_: object) -> None:
        self.stopping = True
        running = [child.process for child in self.children if child.process and child.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def children(plan: Plan, sockets: list[socket.socket]) -> list[Child]:
    python = sys.executable
    daphnes = [Child(f"daphne {n}", [python, "-m", "daphne", "--fd", str(sock.fileno()), "console.asgi:application"],
                     (sock.fileno(),)) for n, sock in enumerate(sockets, 1)]
    workers = [Child(f"worker {n}", [python, "-m", "celery", "-A", "console", "worker", "-P", "solo",
                                     "-n", f"worker{n}@%h", "--loglevel=INFO"])
               for n in range(1, plan.workers + 1)]
    return daphnes + workers


def main() -> int:
    os.environ["DEBUG"] = "false"  # before the settings load: a class never sees Django's debug pages
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    try:
        plan = plan_from(os.environ)
        import django
        from django.conf import settings

        django.setup()
        problems = setting_problems(settings)
        if problems:
            raise CannotServe("the classroom setup needs:\n  - " + "\n  - ".join(problems))
        migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, check=False)
        if migrated.returncode:
            raise CannotServe("manage.py migrate failed (see above)")
        sockets = listening_sockets(plan.host, plan.port, plan.processes)
    except (CannotServe, ImproperlyConfigured) as error:  # a setting that cannot be read says which
        print(f"serve: {error}", file=sys.stderr)
        return 2
    supervisor = Supervisor(children(plan, sockets), os.environ)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)  # Ctrl+C reaches the children too; this stops the rest
    where = "every address of this machine" if plan.host in ("0.0.0.0", "::") else plan.host
    print(f"serve: Wiretap on port {plan.port} of {where} (http://{_shown_host(plan.host)}:{plan.port}/): "
          f"{plan.processes} Daphne process(es), {plan.workers} Celery worker(s), DEBUG=false, "
          f"ALLOWED_HOSTS={','.join(settings.ALLOWED_HOSTS)}. Ctrl+C stops them.", flush=True)
    try:
        return supervisor.run()
    finally:
        supervisor.stop()
        for sock in sockets:
            sock.close()


def _shown_host(host: str) -> str:
    return socket.gethostname() if host in ("0.0.0.0", "::") else host
