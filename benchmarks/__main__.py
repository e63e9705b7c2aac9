"""Wiretap's benchmarks, each reported beside a baseline measured in the same run.

1. Kernel events per second beside a bare heapq loop doing the same work.
2. Simulated messages per second, API Gateway -> SQS -> Lambda -> DynamoDB, full tracing
   written to a JSON Lines file, 100,000 messages.
3. Peak memory (max RSS) of that run at 25,000 and 100,000 messages, each in a fresh process:
   traces go to the file as they finish, so memory must not grow with them.
4. Step Functions: executions per second of a 5-state machine with a Retry, the interpreter
   alone (all executions on one kernel, tasks answered at once) and in a run (client ->
   state machine -> Lambda, traced to a null tracer).
5. Kinesis: records per second through a 4-shard stream to a Lambda consumer (the stream event
   source mapping, batches of 100), full tracing to a file.
6. The designer in headless chromium: 300 components beside 12 (left out with --no-browser).
7.-10. The run stream (benchmarks/stream.py): segments per second to one WebSocket client in each
   mode, latency from emulation to the client at x1, database insert rates, 300 viewers of one
   live run (benchmarks/viewers.py) (left out with --no-stream).
11. Peak memory of runs at the limits (benchmarks/limits.py): flowing, a backlog, big messages.
12. A class on the HTTP API (benchmarks/classroom.py): 200 students' clients at once on the
   classroom setup (`make serve`), and on the embedded console for comparison (left out with
   --no-classroom).

Usage: python -m benchmarks [--messages N] [--quick]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHAINS = 1000


def bare_heapq_loop(events: int) -> float:
    """The floor: tuple entries on a heap, 1,000 chains each scheduling its next event."""
    queue: list[tuple[float, int, int]] = []
    counter = itertools.count()
    for chain in range(CHAINS):
        heapq.heappush(queue, (chain * 0.001, next(counter), chain))
    processed = 0
    started = time.perf_counter()
    while queue and processed < events:
        now, _, chain = heapq.heappop(queue)
        heapq.heappush(queue, (now + 0.5 + (chain % 7) * 0.01, next(counter), chain))
        processed += 1
    return processed / (time.perf_counter() - started)


def kernel_loop(events: int) -> float:
    """The same work through the emulator's kernel (callbacks with arguments)."""
    from emulator.kernel import Kernel

    kernel = Kernel()
    remaining = [events]

    def step(chain: int) -> None:
        remaining[0] -= 1
        if remaining[0] > 0:
            kernel.schedule(0.5 + (chain % 7) * 0.01, step, chain)
        else:
            kernel.stop()

    for chain in range(CHAINS):
        kernel.schedule(chain * 0.001, step, chain)
    started = time.perf_counter()
    kernel.run()
    return kernel.events_processed / (time.perf_counter() - started)


def pipeline_documents(messages: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """API Gateway -> SQS -> Lambda -> DynamoDB, sized so nothing throttles."""
    topology = {
        "format": "wiretap.topology/1",
        "name": "benchmark pipeline",
        "components": [
            {"id": "Api", "kind": "apigateway"},
            {"id": "Inbox", "kind": "sqs", "behavior": {"duplicate_delivery_rate": 0}},
            {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 30}},
            {"id": "Orders", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"}},
        ],
        "connections": [
            {"source": "Api", "target": "Inbox", "role": "request"},
            {"source": "Inbox", "target": "Worker", "role": "event_source", "properties": {"BatchSize": 10}},
            {"source": "Worker", "target": "Orders", "role": "request"},
        ],
    }
    rate = 2000.0
    workload = {
        "format": "wiretap.workload/1",
        "seed": 1,
        "duration_s": messages / rate + 1,
        "drain_s": 120,
        "sources": [{"target": "Api", "rate": {"per_second": rate}, "count": messages,
                     "payload": {"order": "$seq", "amount": {"$uniform": [1, 500]}}}],
    }
    return topology, workload


def run_pipeline(messages: int, traces_path: str) -> dict[str, Any]:
    """Run the pipeline once with full tracing to ``traces_path``; returns figures."""
    import gc

    import emulator
    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.tracing import JsonLinesWriter
    from emulator.workload import load_workload

    topology_document, workload_document = pipeline_documents(messages)
    topology = load_topology(topology_document)
    workload = load_workload(workload_document, topology)
    with open(traces_path, "wb") as file:
        sim = Simulation(topology, workload, tracer=JsonLinesWriter(file))
        gc.collect()
        gc.freeze()  # setup objects live for the whole run: keep the collector off them
        started = time.perf_counter()
        summary = sim.run()
        elapsed = time.perf_counter() - started
    completed = summary["messages"]["completed"]
    return {
        "messages": summary["messages"]["accepted"],
        "completed": completed,
        "seconds": elapsed,
        "messages_per_second": summary["messages"]["accepted"] / elapsed,
        "events": sim.kernel.events_processed,
        "trace_bytes": os.path.getsize(traces_path),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "compiled": emulator.COMPILED,
    }


# Five states; the Task fails on every third execution's first attempt, so its Retry runs.
STATE_MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"order.$": "$.order", "total.$": "States.MathAdd($.order, 10)"},
                    "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "Worker", "ResultPath": "$.charge", "Next": "Check",
                   "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Big"}],
                  "Default": "Done"},
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def state_machine_interpreter(executions: int) -> float:
    """Executions per second of the interpreter alone, all of them on one kernel."""
    import random

    from emulator.kernel import Kernel
    from emulator.stepfunctions import Execution, TaskRequest

    kernel = Kernel()
    rng = random.Random(1)

    failed_once: set[int] = set()

    def run_task(request: TaskRequest) -> None:
        order = request.payload["order"]
        if order % 3 == 0 and order not in failed_once:
            failed_once.add(order)
            request.fail("Flaky", "first attempt")
        else:
            request.succeed({"ok": True})

    runs = [Execution(STATE_MACHINE, {"order": index}, kernel=kernel, run_task=run_task, rng=rng)
            for index in range(executions)]
    started = time.perf_counter()
    for execution in runs:
        execution.start()
    kernel.run()
    elapsed = time.perf_counter() - started
    assert all(execution.status == "SUCCEEDED" for execution in runs)
    return executions / elapsed


def state_machine_run(executions: int) -> tuple[float, dict[str, Any]]:
    """Executions per second of the same machine in a run: client -> state machine -> Lambda."""
    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.tracing import NullTracer
    from emulator.workload import load_workload

    topology = load_topology({
        "format": "wiretap.topology/1", "name": "benchmark state machine",
        "components": [
            {"id": "Caller", "kind": "client"},
            {"id": "Flow", "kind": "stepfunctions", "properties": {"Definition": STATE_MACHINE}},
            {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 30}, "behavior": {"error_rate": 0.05}},
        ],
        "connections": [{"source": "Caller", "target": "Flow", "role": "request"},
                        {"source": "Flow", "target": "Worker", "role": "request"}],
    })
    rate = 500.0
    workload = load_workload({
        "format": "wiretap.workload/1", "seed": 1, "duration_s": executions / rate + 1, "drain_s": 60,
        "sources": [{"target": "Caller", "rate": {"per_second": rate}, "count": executions,
                     "payload": {"order": "$seq"}}],
    }, topology)
    sim = Simulation(topology, workload, tracer=NullTracer())
    started = time.perf_counter()
    summary = sim.run()
    elapsed = time.perf_counter() - started
    return executions / elapsed, summary["components"]["Flow"]
def kinesis_documents(records: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 4-shard stream read by one function, fed under the shards' write limit (1,000 records/s each)."""
    topology = {
        "format": "wiretap.topology/1",
        "name": "benchmark kinesis",
        "components": [
            {"id": "Stream", "kind": "kinesis", "properties": {"ShardCount": 4}},
            {"id": "Consumer", "kind": "lambda", "properties": {"Timeout": 30},
             "behavior": {"duration_ms": {"median": 1, "p99": 3}}},
        ],
        "connections": [
            {"source": "Stream", "target": "Consumer", "role": "event_source", "properties": {"BatchSize": 100}},
        ],
    }
    rate = 3600.0
    workload = {
        "format": "wiretap.workload/1",
        "seed": 1,
        "duration_s": records / rate + 1,
        "drain_s": 60,
        "sources": [{"target": "Stream", "rate": {"per_second": rate}, "count": records,
                     "payload": {"reading": "$seq", "value": {"$uniform": [1, 500]}}}],
    }
    return topology, workload


def run_kinesis(records: int) -> dict[str, Any]:
    """Run the Kinesis workload once with full tracing to a temporary file; returns figures."""
    import gc

    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.tracing import JsonLinesWriter
    from emulator.workload import load_workload

    topology_document, workload_document = kinesis_documents(records)
    topology = load_topology(topology_document)
    workload = load_workload(workload_document, topology)
    with tempfile.TemporaryDirectory() as directory, open(os.path.join(directory, "traces.jsonl"), "wb") as file:
        sim = Simulation(topology, workload, tracer=JsonLinesWriter(file))
        gc.collect()
        started = time.perf_counter()
        summary = sim.run()
        elapsed = time.perf_counter() - started
    return {
        "records": summary["messages"]["accepted"],
        "completed": summary["messages"]["completed"],
        "seconds": elapsed,
        "records_per_second": summary["messages"]["accepted"] / elapsed,
        "batches": summary["components"]["Consumer"]["Invocations"],
        "throttled": summary["components"]["Stream"]["WriteProvisionedThroughputExceeded"],
    }


def pipeline_in_subprocess(messages: int, *, interpreted: bool = False) -> dict[str, Any]:
    """The pipeline in a fresh process (for its own peak memory), compiled or from the sources."""
    environment = {**os.environ, "WIRETAP_INTERPRETED": "1"} if interpreted else None
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "traces.jsonl")
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--pipeline-only", str(messages), "--traces", path],
            check=True, capture_output=True, text=True, env=environment,
        ).stdout
    figures: dict[str, Any] = json.loads(output)
    return figures


def best_of(function: Any, repeats: int, *args: Any) -> float:
    return max(function(*args) for _ in range(repeats))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--no-browser", action="store_true", help="leave out the designer benchmark (chromium)")
    parser.add_argument("--no-stream", action="store_true",
                        help="leave out the run stream's benchmarks (Daphne, Celery, PostgreSQL, Redis)")
    parser.add_argument("--no-classroom", action="store_true",
                        help="leave out the classroom benchmark (Daphne processes, PostgreSQL, Redis)")
    parser.add_argument("--pipeline-only", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traces", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.pipeline_only:
        print(json.dumps(run_pipeline(arguments.pipeline_only, arguments.traces)))
        return 0

    messages = 10_000 if arguments.quick else arguments.messages
    events = 200_000 if arguments.quick else 1_000_000
    print("Wiretap benchmarks (ratios are to baselines measured in this run)\n")

    bare = best_of(bare_heapq_loop, 3, events)
    kernel = best_of(kernel_loop, 3, events)
    print("1. Kernel")
    print(f"   bare heapq loop      {bare:>12,.0f} events/s")
    print(f"   emulator kernel      {kernel:>12,.0f} events/s   ratio {kernel / bare:.2f} "
          f"(target: within 3x, i.e. >= 0.33)")

    print(f"\n2. API Gateway -> SQS -> Lambda -> DynamoDB, full tracing to a file, {messages:,} messages")
    figures = pipeline_in_subprocess(messages)
    print(f"   {figures['messages_per_second']:>12,.0f} simulated messages/s  ({figures['seconds']:.1f} s wall, "
          f"{figures['events']:,} events, {figures['trace_bytes'] / 1e6:,.0f} MB of traces; target >= 20,000)")
    print(f"   kernel events in this run: {figures['events'] / figures['seconds']:,.0f}/s "
          f"= {figures['events'] / figures['seconds'] / bare:.2f} of the bare loop")
    if figures["compiled"]:
        sources = pipeline_in_subprocess(messages, interpreted=True)
        speedup = figures["messages_per_second"] / sources["messages_per_second"]
        print(f"   the same from the sources (WIRETAP_INTERPRETED=1): {sources['messages_per_second']:,.0f} "
              f"messages/s; the compiled build is {speedup:.2f}x")
    else:
        print("   (from the sources: there is no current compiled build; `make compile` makes one)")

    print("\n3. Peak memory (max RSS, fresh process each)")
    small = pipeline_in_subprocess(max(messages // 4, 1000))
    print(f"   {small['messages']:>9,} messages   {small['max_rss_mb']:>7.0f} MB")
    growth = figures["max_rss_mb"] / small["max_rss_mb"]
    scale = figures["messages"] / small["messages"]
    print(f"   {figures['messages']:>9,} messages   {figures['max_rss_mb']:>7.0f} MB   growth {growth:.2f}x for "
          f"{scale:.0f}x the messages ({figures['trace_bytes'] / 1e6:,.0f} MB of traces written)")

    executions = 2_000 if arguments.quick else 20_000
    print(f"\n4. Step Functions: a 5-state machine with a Retry, {executions:,} executions")
    interpreter = best_of(state_machine_interpreter, 3, executions)
    print(f"   interpreter alone    {interpreter:>12,.0f} executions/s")
    in_run, flow = state_machine_run(executions)
    print(f"   in a run, no writer  {in_run:>12,.0f} executions/s   ({flow['StateTransitions']:,} state transitions, "
          f"{flow['ExecutionsSucceeded']:,} succeeded, {flow['ExecutionsFailed']:,} failed after the Retry)")

    records = 10_000 if arguments.quick else 100_000
    print(f"\n5. Kinesis, 4 shards -> Lambda (batches of 100), full tracing to a file, {records:,} records")
    kinesis = run_kinesis(records)
    print(f"   {kinesis['records_per_second']:>12,.0f} simulated records/s  ({kinesis['seconds']:.1f} s wall, "
          f"{kinesis['batches']:,} batches, {kinesis['completed']:,} of {kinesis['records']:,} completed, "
          f"{kinesis['throttled']:,} writes throttled)")

    failed = 0
    if not arguments.no_browser:
        failed += not designer_benchmark()
    if not arguments.no_stream:
        from benchmarks.stream import stream_benchmark

        failed += stream_benchmark(quick=arguments.quick)
    from benchmarks.limits import limits_benchmark

    failed += limits_benchmark(quick=arguments.quick)
    if not arguments.no_classroom:
        from benchmarks.classroom import classroom_benchmark

        failed += classroom_benchmark(quick=arguments.quick)
    if failed:
        print(f"\n{failed} benchmark(s) could not run: see above")
    return 1 if failed else 0


DESIGNER_FIGURES = Path("test-artifacts/designer-performance.json")
DESIGNER_STEPS = (
    ("page_ready_ms", "page ready (navigation to saved)"),
    ("render_ms", "render (fetch, build, draw, fit)"),
    ("drag_ms", "drag gesture (10 moves)"),
    ("drop_ms", "release to move recorded"),
    ("undo_ms", "undo"),
    ("auto_layout_ms", "auto-layout (dagre)"),
)


def designer_benchmark() -> bool:
    """The designer in headless chromium: 300 components beside 12, in the same run. False when
    it could not run."""
    print("\n6. Designer canvas in headless chromium: 300 components (225 connections) beside 12")
    DESIGNER_FIGURES.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                             "tests/browser/test_designer_performance.py"], capture_output=True, text=True)
    if result.returncode != 0 or not DESIGNER_FIGURES.exists():
        print("   the browser run failed:\n" + result.stdout[-2000:] + result.stderr[-2000:])
        return False
    figures = json.loads(DESIGNER_FIGURES.read_text())
    small, large = figures["12"], figures["300"]
    print(f"   {'step':<36}{'12':>9}{'300':>9}   ratio")
    for key, label in DESIGNER_STEPS:
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"   {label:<36}{small[key]:>7} ms{large[key]:>7} ms   {ratio:.1f}x")
    return True


if __name__ == "__main__":
    sys.exit(main())
