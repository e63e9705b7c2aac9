"""Peak memory of runs at the limits (README "Limits"), each in a fresh process.

The worst cases a user can start under the default limits, executed as the worker executes them
(``tracer.services.execute_run``, the writer thread on its own connection, SQLite):

- flowing: the benchmark pipeline (API Gateway -> SQS -> Lambda -> DynamoDB), the most messages
  at the highest rate, every one completed;
- backlog: the same messages into a queue that nothing reads, all of them in flight at the end
  (the trace store holds each one's segments until the run closes);
- big messages: the backlog with messages of the largest size, which reaches the byte limit and
  stops there.

Each line is the run's status (and the limit that stopped it), its messages, what it stored, and
the process's peak RSS (``resource.getrusage``: the whole process, Django and the emulator
included). ``--quick`` runs a tenth of the messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RUN_SCRIPT = """
import json, resource, sys, time
import django
django.setup()
from django.contrib.auth.models import User
from designer.services import create_topology
from tracer import services
from tracer.models import Run
topology_document, workload = json.loads(sys.argv[1]), json.loads(sys.argv[2])
owner = User.objects.create_user(f"bench-{time.time_ns()}", password="correct-horse-battery-9")
topology = create_topology(owner, document=topology_document).topology
services.enqueue = lambda run_id: None
run = services.start_run(owner, topology, workload)
started = time.perf_counter()
services.execute_run(run.pk)
run = Run.objects.get(pk=run.pk)
print(json.dumps({"status": run.status, "limit": run.limit, "seconds": time.perf_counter() - started,
                  "messages": run.summary["messages"], "stored_mb": run.stored_bytes / 1e6,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cases(messages: int, rate: float) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    from benchmarks.__main__ import pipeline_documents

    pipeline, flowing = pipeline_documents(messages)
    flowing = {**flowing, "duration_s": messages / rate + 1, "drain_s": 60,
               "sources": [{**flowing["sources"][0], "rate": {"per_second": rate}}]}
    backlog = {"format": "wiretap.topology/1", "name": "backlog", "components": [
        {"id": "Api", "kind": "apigateway", "properties": {"ThrottlingBurstLimit": 5000}},
        {"id": "Inbox", "kind": "sqs", "properties": {"MessageRetentionPeriod": 1209600}}],
        "connections": [{"source": "Api", "target": "Inbox", "role": "request"}]}
    piling = {"format": "wiretap.workload/1", "seed": 1, "duration_s": messages / rate, "drain_s": 5,
              "sources": [{"target": "Api", "rate": {"per_second": rate}, "payload": {"order": "$seq"}}]}
    big = {**piling, "sources": [{**piling["sources"][0], "payload": {"blob": "x" * 63_900}}]}
    return [("flowing", pipeline, flowing), ("backlog", backlog, piling), ("big messages (64 KB)", backlog, big)]


def limits_benchmark(quick: bool = False) -> int:
    """Section 10; returns how many cases could not run."""
    from tests.live import manage

    messages, rate = (5_000, 5_000.0) if quick else (50_000, 5_000.0)
    print(f"\n11. Peak memory of runs at the limits ({messages:,} messages at {rate:,.0f}/s, fresh process each)")
    failed = 0
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(directory) / 'limits.sqlite3'}", "REDIS_URL": "",
               "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "console.settings"}
        manage(env, "migrate", "--no-input")
        for name, topology, workload in cases(messages, rate):
            done = subprocess.run([sys.executable, "-c", RUN_SCRIPT, json.dumps(topology), json.dumps(workload)],
                                  env=env, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                print(f"   {name}: failed: {done.stderr[-1500:]}")
                failed += 1
                continue
            figures = json.loads(done.stdout.splitlines()[-1])
            ended = figures["status"] + (f" at the {figures['limit']} limit" if figures["limit"] else "")
            in_flight = f"({figures['messages']['in_flight']:,} in flight)"
            print(f"   {name:<22} {ended:<30} {figures['messages']['accepted']:>7,} messages {in_flight:<19} "
                  f"{figures['stored_mb']:>4.0f} MB stored  "
                  f"peak RSS {figures['max_rss_mb']:>5.0f} MB  ({figures['seconds']:.1f} s)")
    return failed


if __name__ == "__main__":
    sys.exit(1 if limits_benchmark(quick="--quick" in sys.argv) else 0)
