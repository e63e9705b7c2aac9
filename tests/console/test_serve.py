"""console/serve.py (scripts/serve, `make serve`): the classroom setup's processes and settings.

The whole setup serving a class (PostgreSQL, Redis, two Daphne processes, a worker) is what
`make bench`'s classroom section starts; tests/benchmarks/test_main.py runs it in its quick mode.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from console import serve
from tests.live import ROOT, wait_until


def test_the_plan_defaults_to_every_address_port_8000_a_process_per_core_and_one_worker() -> None:
    plan = serve.plan_from({})

    assert plan == serve.Plan(host="0.0.0.0", port=8000, processes=serve.os.cpu_count() or 1, workers=1)
    assert serve.plan_from({"HOST": "127.0.0.1", "PORT": "9000", "PROCESSES": "3", "WORKERS": "0"}) == \
        serve.Plan("127.0.0.1", 9000, 3, 0)


@pytest.mark.parametrize("name, value", [("PORT", "http"), ("PROCESSES", "0"), ("WORKERS", "-1")])
def test_a_count_that_is_not_a_whole_number_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(serve.CannotServe, match=name):
        serve.plan_from({name: value})


def test_sqlite_or_no_redis_cannot_serve_a_class_and_each_says_what_to_set() -> None:
    settings = SimpleNamespace(REDIS_URL="", DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}})

    problems = serve.setting_problems(settings)

    assert len(problems) == 2
    assert problems[0].startswith("REDIS_URL must name a Redis server")
    assert problems[1].startswith("DATABASE_URL must name a PostgreSQL database")
    assert not serve.setting_problems(SimpleNamespace(
        REDIS_URL="redis://127.0.0.1:6379/0", DATABASES={"default": {"ENGINE": "django.db.backends.postgresql"}}))


def test_the_listening_sockets_share_one_port_and_the_kernel_spreads_connections_over_them() -> None:
    sockets = serve.listening_sockets("127.0.0.1", free_port(), 2)
    port = sockets[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    try:
        accepted = [accepted_count(sock) for sock in sockets]
    finally:
        for sock in [*clients, *sockets]:
            sock.close()

    assert sum(accepted) == 40
    assert all(count > 0 for count in accepted)  # all 40 hashed to one socket: 1 chance in 2**39


def test_a_port_already_served_is_refused_rather_than_shared() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(serve.CannotServe, match=r"cannot listen on 127\.0\.0\.1"):
            serve.listening_sockets("127.0.0.1", taken.getsockname()[1], 2)
    finally:
        taken.close()


def test_without_redis_the_command_refuses_to_start_and_says_why() -> None:
    done = run_serve({"REDIS_URL": "", "SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:////tmp/never.sqlite3"})

    assert done.returncode == 2
    assert "REDIS_URL must name a Redis server" in done.stderr
    assert "DATABASE_URL must name a PostgreSQL database" in done.stderr


def test_it_runs_with_debug_false_so_it_needs_a_secret_key() -> None:
    done = run_serve({"DEBUG": "true", "SECRET_KEY": ""})

    assert done.returncode == 2
    assert "SECRET_KEY must be set when DEBUG is false" in done.stderr


def test_a_process_that_fails_at_once_stops_everything() -> None:
    sleeper = serve.Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    failing = serve.Child("failing", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = serve.Supervisor([sleeper, failing], serve.os.environ)

    assert supervisor.run() == 1
    assert sleeper.process is not None and sleeper.process.poll() is not None


def test_a_process_that_exits_after_running_a_while_is_started_again(monkeypatch: Any) -> None:
    monkeypatch.setattr(serve, "SETTLE_S", 0.0)
    exits = serve.Child("exits", [sys.executable, "-c", "raise SystemExit(0)"])
    supervisor = serve.Supervisor([exits], serve.os.environ)
    started: list[Any] = []
    start = supervisor.start
    monkeypatch.setattr(supervisor, "start", lambda child: (started.append(child), start(child)))
    running = threading.Thread(target=supervisor.run)
    running.start()
    try:
        wait_until(lambda: len(started) >= 3, 30, "the process started a third time")
    finally:
        supervisor.stop()
        running.join(10)

    assert not running.is_alive()


def run_serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {**serve.os.environ, "PORT": str(free_port()), **env}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "serve")], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accepted_count(sock: socket.socket) -> int:
    sock.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = sock.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1
