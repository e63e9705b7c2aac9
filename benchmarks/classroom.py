"""A class on the console at once: 200 students' API clients, in the classroom setup and embedded.

The classroom setup is what README's "Serving the console to others" says to run: `scripts/serve`
(several Daphne processes sharing one listening socket, separate Celery workers, PostgreSQL and
Redis, DEBUG=false). The embedded console is `make run`'s: one Daphne process with its worker
thread, SQLite, DEBUG=true. Each console gets a database of its own with one account per client,
each with a topology made from a template and a finished run of it (one real run, executed once
and copied to every student: the same rows a run stores), signed in. The clients run in another
process (benchmarks/load.py), so that they do not take the server's CPU; they report requests
per second, the latency percentiles and the errors (an answer other than 200 with JSON, a
refused connection, a request slower than 30 s).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.load import MIX

# One real run, copied to every student: a small steady load through the template.
RUN_WORKLOAD = {"format": "wiretap.workload/1", "seed": 7, "duration_s": 10, "drain_s": 60,
                "sources": [{"target": "Partner", "rate": {"per_second": 10}, "payload": {"order": "$seq"}}]}
TRACE_IDS_PER_STUDENT = 20

STUDENTS_SCRIPT = """
import json
from django.contrib.auth.models import User
from django.test import Client
from designer.services import create_topology
from tracer.models import Run, Trace
from tracer.services import execute_run

students = []
for n in range({count}):
    user = User.objects.create_user(f"student{{n:03d}}")  # no password: the session signs them in
    client = Client()
    client.force_login(user)
    version = create_topology(user, template_id="scalable-webhook")
    students.append((user, version, client.cookies["sessionid"].value))

user, version, _ = students[0]
first = Run.objects.create(topology=version.topology, topology_version=1, document=version.document,
                           workload=json.loads({workload!r}), seed=7, owner=user)
execute_run(first.pk, worker="classroom benchmark")
first.refresh_from_db()
assert first.status == "finished", (first.status, first.error)
kept = ("id", "owner_id", "topology_id")
run_fields = [f.attname for f in Run._meta.concrete_fields if f.attname not in kept]
copies = Run.objects.bulk_create([
    Run(**{{name: getattr(first, name) for name in run_fields}}, owner=user, topology=version.topology)
    for user, version, _ in students[1:]])
traces = list(first.traces.order_by("id"))
trace_fields = [f.attname for f in Trace._meta.concrete_fields if f.attname not in ("id", "run_id")]
Trace.objects.bulk_create([Trace(**{{name: getattr(row, name) for name in trace_fields}}, run_id=copy.pk)
                           for copy in copies for row in traces], batch_size=2000)
trace_ids = [row.trace_id for row in traces[:{trace_ids}]]
print(json.dumps([{{"session": session, "topology": version.topology_id, "run": run.pk, "trace_ids": trace_ids}}
                  for (_, version, session), run in zip(students, [first, *copies], strict=True)]))
"""


def students(env: dict[str, str], count: int) -> list[dict[str, Any]]:
    """``count`` students signed in on the console's database, each with a topology and a finished run."""
    from tests.live import manage

    script = STUDENTS_SCRIPT.format(count=count, workload=json.dumps(RUN_WORKLOAD), trace_ids=TRACE_IDS_PER_STUDENT)
    made: list[dict[str, Any]] = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
    return made


def load(url: str, made: list[dict[str, Any]], seconds: float, warm_up_s: float) -> dict[str, Any]:
    """benchmarks/load.py in a process of its own against ``url``; its figures."""
    request = json.dumps({"url": url, "students": made, "seconds": seconds, "warm_up_s": warm_up_s})
    done = subprocess.run([sys.executable, "-m", "benchmarks.load"], input=request, capture_output=True, text=True,
                          timeout=seconds + warm_up_s + 120, check=False)
    if done.returncode:
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


class Served:
    """A console being measured: its address, its settings, and its Daphne processes' ids."""

    def __init__(self, url: str, env: dict[str, str], daphnes: Any) -> None:
        self.url, self.env, self.daphnes = url, env, daphnes

    def cpu_s(self) -> float | None:
        """CPU seconds the Daphne processes have used (Linux's /proc; None elsewhere)."""
        try:
            total = 0.0
            for pid in self.daphnes():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return total
        except (OSError, ValueError, IndexError):
            return None


@contextmanager
def embedded(log_dir: Path) -> Iterator[Served]:
    """`make run`'s console: one Daphne with its worker thread, SQLite, DEBUG=true."""
    from tests.live import LiveConsole

    console = LiveConsole(log_dir, production_like=False, env={"LOG_LEVEL": "WARNING"})
    try:
        assert console.daphne is not None
        pid = console.daphne.pid
        yield Served(console.url, console.env, lambda: [pid])
    finally:
        console.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    """The ids of a process's children (Linux's /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def is_daphne(pid: int) -> bool:
    try:
        return b"daphne" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@contextmanager
def classroom(log_dir: Path, processes: int, workers: int) -> Iterator[Served]:
    """`scripts/serve` on a PostgreSQL database and a Redis database of its own."""
    from tests.live import ROOT, ConsoleProcess, _answers, drop_postgres_database, free_redis_url, postgres_database

    redis_url = free_redis_url()
    database, database_url = postgres_database("wiretap_classroom")
    port = free_port()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": os.urandom(32).hex(),
           "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "HOST": "127.0.0.1", "PORT": str(port),
           "PROCESSES": str(processes), "WORKERS": str(workers), "DEBUG": "false"}
    server = None
    try:
        server = ConsoleProcess("serve", [sys.executable, str(ROOT / "scripts" / "serve")], env, log_dir)
        server.wait_ready(lambda: _answers(f"http://127.0.0.1:{port}/accounts/login/"), timeout_s=120)
        pid = server.pid
        yield Served(f"http://127.0.0.1:{port}", env, lambda: [p for p in children_of(pid) if is_daphne(p)])
    finally:
        if server:
            server.stop()
        drop_postgres_database(database)
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def measure(setup: Any, clients: int, seconds: float, warm_up_s: float) -> dict[str, Any]:
    """The load's figures on a console ``setup`` starts, with the Daphne processes' CPU time per
    request (over the whole load, warm-up included: a figure that contention from other processes
    on the machine inflates less than the latencies)."""
    with tempfile.TemporaryDirectory() as directory, setup(Path(directory)) as served:
        made = students(served.env, clients)
        before = served.cpu_s()
        figures = load(served.url, made, seconds, warm_up_s)
        after = served.cpu_s()
    all_requests = figures["requests_per_s"] * (figures["seconds"] + warm_up_s)
    figures["cpu_ms_per_request"] = None if before is None or after is None or not all_requests else \
        (after - before) * 1000 / all_requests
    return figures


def line(label: str, figures: dict[str, Any]) -> str:
    return (f"   {label:<34}{figures['requests_per_s']:>7,.0f} req/s   p50 {figures['p50_ms']:>6,.0f}  "
            f"p95 {figures['p95_ms']:>6,.0f}  p99 {figures['p99_ms']:>6,.0f}  max {figures['max_ms']:>6,.0f} ms   "
            f"errors {figures['errors']:,}" + (f" {figures['error_reasons']}" if figures["errors"] else "") +
            ("" if figures["cpu_ms_per_request"] is None else
             f"\n      Daphne CPU {figures['cpu_ms_per_request']:.1f} ms a request"))


def classroom_benchmark(quick: bool = False, number: int = 12, clients: int | None = None,
                        only: str | None = None) -> int:
    """The section; returns how many of its consoles could not be measured (each says why)."""
    default_clients, seconds, warm_up_s = (10, 3.0, 1.0) if quick else (200, 30.0, 5.0)
    clients = clients or default_clients
    processes, workers = os.cpu_count() or 1, 1  # make serve's defaults
    mix = ", ".join(f"{action} {weight}%" for action, weight in MIX)
    print(f"\n{number}. A class on the HTTP API: {clients} clients (a student each) without pauses, {seconds:.0f} s")
    print(f"   the mix: {mix}")
    failed = 0
    setups = ((f"classroom ({processes} Daphne, {workers} worker)",
               lambda log_dir: classroom(log_dir, processes, workers)),
              ("embedded (make run)", embedded))
    for label, setup in setups:
        if only and not label.startswith(only):
            continue
        try:
            figures = measure(setup, clients, seconds, warm_up_s)
        except Exception as error:  # one console's failure (no PostgreSQL here) must not hide the other
            print(f"   {label}: failed: {error}")
            failed += 1
            continue
        print(line(label, figures))
        slowest = sorted(figures["by_action"].items(), key=lambda item: -item[1]["p99_ms"])[:3]
        print("      slowest p99: " + ", ".join(f"{action} {value['p99_ms']:,.0f} ms" for action, value in slowest))
        if only:
            print("      " + json.dumps({key: figures[key] for key in ("requests_per_s", "p50_ms", "p99_ms",
                                                                      "cpu_ms_per_request", "errors")}))
    print("   target: the classroom setup's p99 under 1 s with 200 clients, 0 errors")
    return failed


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 clients for 3 s")
    parser.add_argument("--clients", type=int, help="how many clients (default 200, --quick 10)")
    parser.add_argument("--only", choices=("classroom", "embedded"), help="measure one console only")
    arguments = parser.parse_args(argv)
    return 1 if classroom_benchmark(quick=arguments.quick, clients=arguments.clients, only=arguments.only) else 0


if __name__ == "__main__":
    sys.exit(main())
