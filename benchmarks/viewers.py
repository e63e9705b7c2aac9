"""Many viewers of one live run: a class of 300 watching a presented run (section 10; alone:
``python -m benchmarks.viewers [--quick]``).

The run is the stream benchmark's pipeline at x1 (``RATE`` messages a second for ``SECONDS`` s);
the viewers open their sockets at ``JOINS_PER_S`` as the run starts, as a class follows a link
(the ones that join late replay what they missed), each a ``websockets`` client in this process
that decodes only each message's type and seq (msgspec). Figures:

- how many viewers received the whole stream in order, every seq from 1 to the run's last, to
  run.finished (one that fell behind or lost events must have caught up from the log);
- the time from run.finished being logged (the Run row's ``finished_at``, set in the transaction
  that logs it) to each viewer receiving it: the median and the last viewer;
- events delivered per second over all viewers, and their megabytes per second, from the run's
  start to the last viewer's run.finished;
- the CPU time of Daphne, the worker and this client over that span (from /proc): the console's
  processes and the client share the machine's cores, so the figures are the whole system's.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

VIEWERS = 300
RATE = 20.0
SECONDS = 30
JOINS_PER_S = 50
WATCH_TIMEOUT_S = 300


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Numbered(msgspec.Struct):
    type: str
    seq: int


async def _view(live: Any, run_id: int, delay_s: float) -> dict[str, Any]:
    decode = msgspec.json.Decoder(Numbered).decode
    await asyncio.sleep(delay_s)
    seqs: list[int] = []
    size = 0
    async with live.socket(run_id) as socket:
        while True:
            raw = await socket.recv(decode=False)
            size += len(raw)
            message = decode(raw)
            seqs.append(message.seq)
            if message.type == "run.finished":
                return {"seqs": seqs, "bytes": size, "finished": time.time()}


def watch(mode: str, viewers: int, rate: float, seconds: float) -> dict[str, Any]:
    """One live run of the pipeline at x1 watched by ``viewers`` sockets; what each received."""
    from benchmarks.stream import Console

    with tempfile.TemporaryDirectory() as directory:
        console = Console(mode, Path(directory))
        try:
            workload = {**console.workload, "duration_s": seconds, "drain_s": 30,
                        "sources": [{**console.workload["sources"][0], "rate": {"per_second": rate},
                                     "count": int(rate * seconds)}]}
            processes = {"Daphne": console.live.daphne.pid, "worker": console.live.workers[0].pid} \
                if console.live.workers else {"Daphne (and its worker)": console.live.daphne.pid}
            cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()} | {"client": own_cpu_seconds()}
            run = console.api("POST", f"/api/topologies/{console.topology}/runs/", {"workload": workload, "speed": 1})
            started = time.time()

            async def everyone() -> list[Any]:
                async with asyncio.timeout(WATCH_TIMEOUT_S):
                    views: list[Any] = await asyncio.gather(*(_view(console.live, run["id"], n / JOINS_PER_S)
                                                              for n in range(viewers)), return_exceptions=True)
                return views

            views = asyncio.run(everyone())
            cpu_after = {name: cpu_seconds(pid) for name, pid in processes.items()} | {"client": own_cpu_seconds()}
            stored = console.api("GET", f"/api/runs/{run['id']}/")
        finally:
            console.stop()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    return {"views": views, "run": stored, "started": started, "cpu": cpu}


def report(mode: str, viewers: int, watched: dict[str, Any]) -> bool:
    """Print the figures; whether every viewer received the whole stream."""
    run, views = watched["run"], watched["views"]
    last_seq = run["last_seq"]
    whole = [view for view in views if isinstance(view, dict) and view["seqs"] == list(range(1, last_seq + 1))]
    failures = [view for view in views if not isinstance(view, dict)]
    print(f"   {mode:<16}{len(whole)}/{viewers} received all {last_seq:,} events in order, to run.finished"
          + (f"; {len(failures)} failed: {failures[0]!r}" if failures else ""))
    if not whole:
        return False
    logged = datetime.fromisoformat(run["finished_at"]).timestamp()
    delays = sorted(view["finished"] - logged for view in whole)
    span = max(view["finished"] for view in whole) - watched["started"]
    events = sum(len(view["seqs"]) for view in whole)
    megabytes = sum(view["bytes"] for view in whole) / 1e6
    print(f"   {'':<16}run.finished logged -> received: median {statistics.median(delays) * 1000:,.0f} ms, "
          f"last viewer {delays[-1] * 1000:,.0f} ms; {events / span:,.0f} events/s delivered "
          f"({megabytes / span:,.1f} MB/s, {events:,} events over {span:.0f} s)")
    cpu = ", ".join(f"{name} {seconds / span:.0%}" for name, seconds in watched["cpu"].items())
    print(f"   {'':<16}CPU over that span (of one core): {cpu}")
    return len(whole) == viewers


def viewers_benchmark(quick: bool = False) -> int:
    """Section 10; returns how many modes could not deliver the whole stream to every viewer."""
    viewers = 50 if quick else VIEWERS
    print(f"\n10. {viewers} viewers of one live run at x1 (the pipeline, {RATE:.0f} messages/s for {SECONDS} s; "
          f"viewers join at {JOINS_PER_S}/s as it starts)")
    failed = 0
    for mode in ("production-like", "embedded"):
        try:
            failed += not report(mode, viewers, watch(mode, viewers, RATE, SECONDS))
        except Exception as error:  # one mode's failure (no Redis here) must not hide the other
            print(f"   {mode}: failed: {error}")
            failed += 1
    return failed


if __name__ == "__main__":
    sys.exit(1 if viewers_benchmark(quick="--quick" in sys.argv) else 0)
