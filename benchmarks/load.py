"""The classroom benchmark's load: many students' API clients at once, in a process of its own.

A load generator in the server's process would take the CPU the server is measured on, so
benchmarks/classroom.py runs this module as ``python -m benchmarks.load``: it reads the students
(a session cookie, a topology, a finished run and some of its trace ids each) as JSON on its
standard input, runs one client per student for a while, and prints its figures as JSON.

Each client does what a student in a lab does with the console, one request after the other,
without pausing (the hardest case for the server: every client always has a request waiting), in
the proportions of ``MIX``: the designer's page opens with the catalog and the topology, autosave
saves a moved component (and answers the new version's findings), Validate checks a draft, the
list page lists the topologies, and a finished run's page reads the run, a page of its traces and
one trace with its segments. Requests made before ``warm_up_s`` are not counted.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# (what the student does, its weight): about one write in five requests.
MIX: tuple[tuple[str, int], ...] = (
    ("list topologies", 15),
    ("open a topology", 15),
    ("autosave", 20),
    ("validate", 15),
    ("catalog", 10),
    ("open a run", 5),
    ("list traces", 10),
    ("open a trace", 10),
)
REQUEST_TIMEOUT_S = 30.0


@dataclass
class Student:
    """One client's account and what it works on (benchmarks/classroom.py makes them)."""

    session: str
    topology: int
    run: int
    trace_ids: list[str]
    document: dict[str, Any] = field(default_factory=dict)
    version: int = 0


@dataclass
class Tally:
    """Every counted request: its latency (s) by what it did, and the failures by reason."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {action: [] for action, _ in MIX})
    errors: dict[str, int] = field(default_factory=dict)

    def count(self, action: str, seconds: float, failure: str | None) -> None:
        self.latencies[action].append(seconds)
        if failure:
            self.errors[failure] = self.errors.get(failure, 0) + 1


class Client:
    """One student's browser: its cookie, its CSRF token, the version it last saved."""

    def __init__(self, http: aiohttp.ClientSession, base: str, student: Student, rng: random.Random) -> None:
        self.http, self.base, self.student, self.rng = http, base, student, rng
        csrf = f"{rng.getrandbits(128):032x}"
        self.headers = {"Cookie": f"sessionid={student.session}; csrftoken={csrf}", "X-CSRFToken": csrf,
                        "Content-Type": "application/json"}

    async def act(self, action: str) -> None:
        """One request; raises Failed when its answer is not the one a working console gives."""
        student = self.student
        topology, run = f"/api/topologies/{student.topology}/", f"/api/runs/{student.run}/"
        if action == "list topologies":
            await self.call("GET", "/api/topologies/")
        elif action == "open a topology":
            await self.open_topology()
        elif action == "autosave":
            if not student.document:
                await self.open_topology()
            moved = self.moved(student.document)
            saved = await self.call("PUT", topology, {"version": student.version, "document": moved})
            student.document, student.version = saved["document"], saved["version"]
        elif action == "validate":
            await self.call("POST", topology + "validate/", {"document": self.moved(student.document)}
                            if student.document else {})
        elif action == "catalog":
            await self.call("GET", "/api/catalog/")
        elif action == "open a run":
            await self.call("GET", run)
        elif action == "list traces":
            await self.call("GET", run + "traces/?limit=100")
        else:
            await self.call("GET", run + f"traces/{self.rng.choice(student.trace_ids)}/")

    async def open_topology(self) -> None:
        opened = await self.call("GET", f"/api/topologies/{self.student.topology}/")
        self.student.document, self.student.version = opened["document"], opened["version"]

    def moved(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document with one component dragged a little, as the canvas saves it."""
        components = [dict(component) for component in document["components"]]
        chosen = self.rng.randrange(len(components))
        position = components[chosen].get("position", {"x": 0, "y": 0})
        components[chosen]["position"] = {"x": position["x"] + self.rng.randint(-20, 20),
                                          "y": position["y"] + self.rng.randint(-20, 20)}
        return {**document, "components": components}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, self.base + path, headers=self.headers,
                                     data=None if body is None else json.dumps(body)) as response:
            text = await response.read()
            if response.status != 200:
                raise Failed(f"{method} {path.split('/')[2]}: {response.status}")
            if response.content_type != "application/json":
                raise Failed(f"{method} {path.split('/')[2]}: {response.content_type}")
            return json.loads(text)


class Failed(Exception):
    """An answer that a working console would not give (its message is the tally's reason)."""


async def client_loop(client: Client, tally: Tally, counting_from: float, until: float) -> None:
    actions, weights = zip(*MIX, strict=True)
    while (started := time.monotonic()) < until:
        action = client.rng.choices(actions, weights)[0]
        failure = None
        try:
            await client.act(action)
        except Failed as failed:
            failure = str(failed)
        except (aiohttp.ClientError, TimeoutError) as error:
            failure = f"{action}: {type(error).__name__}"
        if started >= counting_from:
            tally.count(action, time.monotonic() - started, failure)


async def load(base: str, students: list[Student], seconds: float, warm_up_s: float) -> dict[str, Any]:
    """Run one client per student for warm_up_s + seconds; the figures of the counted requests."""
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0)  # one keep-alive connection per client, as browsers keep
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        now = time.monotonic()
        counting_from, until = now + warm_up_s, now + warm_up_s + seconds
        clients = [Client(http, base, student, random.Random(n)) for n, student in enumerate(students)]
        await asyncio.gather(*(client_loop(client, tally, counting_from, until) for client in clients))
        elapsed = time.monotonic() - counting_from
    return figures(tally, elapsed)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def figures(tally: Tally, elapsed: float) -> dict[str, Any]:
    every = sorted(latency for latencies in tally.latencies.values() for latency in latencies)
    by_action = {action: {"requests": len(values), "p50_ms": percentile(sorted(values), 0.5) * 1000,
                          "p99_ms": percentile(sorted(values), 0.99) * 1000}
                 for action, values in tally.latencies.items()}
    return {"requests": len(every), "seconds": elapsed, "requests_per_s": len(every) / elapsed,
            "p50_ms": percentile(every, 0.5) * 1000, "p95_ms": percentile(every, 0.95) * 1000,
            "p99_ms": percentile(every, 0.99) * 1000, "max_ms": (every[-1] if every else 0.0) * 1000,
            "errors": sum(tally.errors.values()), "error_reasons": tally.errors, "by_action": by_action}


def main() -> int:
    request = json.load(sys.stdin)
    students = [Student(**student) for student in request["students"]]
    print(json.dumps(asyncio.run(load(request["url"], students, request["seconds"], request["warm_up_s"]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
