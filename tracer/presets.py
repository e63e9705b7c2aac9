"""Workload presets for a topology: steady, spike, ramp, poison messages, a dependency outage;
and, for a design made from a template, that template's own workload before them.

Each is a valid wiretap.workload/1 document sending to the topology's entry points (components
of a kind a workload may send to), and the outage takes down a component downstream.
"""

from __future__ import annotations

import math
from typing import Any

from designer.catalog import template
from emulator.catalog import KINDS
from emulator.definitions import MAX_DRAIN_S
from emulator.problems import InvalidDocument
from emulator.topology import load_topology
from emulator.workload import FORMAT, check_workload


def entry_points(document: dict[str, Any]) -> list[str]:
    """Where outside traffic enters: the clients if there are any, else the components a workload
    may send to that nothing in the design sends to (never a DLQ or a function fed by a queue)."""
    components = [c for c in document.get("components", []) if isinstance(c, dict)]
    clients = [str(c["id"]) for c in components if c.get("kind") == "client"]
    if clients:
        return clients
    targets = {c.get("target") for c in document.get("connections", []) if isinstance(c, dict)}
    allowed = [str(c["id"]) for c in components if c.get("kind") in KINDS and KINDS[c["kind"]].entry_point]
    # In a loop every component has a caller: then the first that may take traffic.
    return [cid for cid in allowed if cid not in targets] or allowed[:1]


def _downstream(document: dict[str, Any], entries: list[str]) -> str | None:
    """The first component that sends nowhere and is not a queue (a database, a function...)."""
    sources = {c.get("source") for c in document.get("connections", []) if isinstance(c, dict)}
    for component in document.get("components", []):
        if (isinstance(component, dict) and component.get("id") not in sources
                and component.get("id") not in entries and component.get("kind") not in ("sqs", "sns")):
            return str(component["id"])
    return None


DRAIN_S = 120
# Lambda's asynchronous retries: about 60 s, then 120 s after that (semantics.md), then the DLQ.
ASYNC_RETRIES_S = 200


def redrive_s(document: dict[str, Any]) -> float:
    """How long the design takes, at most, to give up on a message that fails every time: a queue's
    VisibilityTimeout x maxReceiveCount before its dead-letter queue, Lambda's asynchronous
    retries before its DLQ or on-failure destination. 0 when nothing in it dead-letters."""
    components = {c.get("id"): c for c in document.get("components", []) if isinstance(c, dict)}
    longest = 0.0
    for connection in document.get("connections", []):
        if not isinstance(connection, dict) or connection.get("role") not in ("dead_letter", "on_failure"):
            continue
        source = components.get(connection.get("source"), {})
        if source.get("kind") == "sqs" and connection.get("role") == "dead_letter":
            visibility = (source.get("properties") or {}).get("VisibilityTimeout", 30)
            receives = (connection.get("properties") or {}).get("maxReceiveCount", 1)
            if isinstance(visibility, int | float) and isinstance(receives, int | float):
                longest = max(longest, float(visibility) * float(receives))
        elif source.get("kind") == "lambda":
            longest = max(longest, ASYNC_RETRIES_S)
    return longest


def _workload(name: str, description: str, sources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    # No seed: a run of a preset draws its own unless the Run form gives one.
    return {"format": FORMAT, "name": name, "description": description, "duration_s": 60,
            "drain_s": DRAIN_S, "sources": sources, **extra}


def offered(document: dict[str, Any], template_id: str = "") -> list[dict[str, Any]]:
    """What the Run form offers a design: the workload of the template it was made from first
    (its lesson is shown by that workload), when it still fits the design, then the presets."""
    found = presets(document)
    chosen = template(template_id) if template_id else None
    if chosen is None or not chosen.workload:
        return found
    try:
        # Edited since (a target renamed or removed): then its workload no longer runs here.
        if check_workload(chosen.workload, load_topology(document)):
            return found
    except InvalidDocument:
        return found
    workload = {**chosen.workload, "name": chosen.name}
    workload.setdefault("description", chosen.summary)
    return [{"id": "template", "template": chosen.id, "workload": workload}, *found]


def presets(document: dict[str, Any]) -> list[dict[str, Any]]:
    entries = entry_points(document)
    if not entries:
        return []

    def each(**source: Any) -> list[dict[str, Any]]:
        return [{"target": entry, "payload": {"n": "$seq", "id": "$message_id"}, **source} for entry in entries]

    steady = {"per_second": 20, "arrival": "poisson"}
    found = [
        {"id": "steady", "workload": _workload("Steady", "20 messages a second for a minute.", each(rate=steady))},
        {"id": "spike", "workload": _workload("Spike", "20 a second, with a burst of 300 a second from 20 s to 30 s.",
                                              each(rate=steady, ramp=[{"at_s": 20, "per_second": 300},
                                                                      {"at_s": 30, "per_second": 20}]))},
        {"id": "ramp", "workload": _workload("Ramp", "From 10 to 200 a second in four steps.", each(
            rate={"per_second": 10, "arrival": "poisson"},
            ramp=[{"at_s": 15, "per_second": 50}, {"at_s": 30, "per_second": 100}, {"at_s": 45, "per_second": 200}]))},
    ]
    # Long enough a drain for the last poison message to reach its dead-letter queue, within the
    # longest drain a workload may have.
    drain = min(max(DRAIN_S, math.ceil(redrive_s(document) / 60 + 1) * 60), MAX_DRAIN_S)
    found.append({"id": "poison", "workload": _workload(
        "Poison messages", "20 a second, 5% of them poison (they fail every time they are processed); "
        f"the run drains for {drain} s, time for the last of them to be dead-lettered.",
        each(rate=steady, poison_rate=0.05), drain_s=drain)})
    target = _downstream(document, entries)
    if target is not None:
        found.append({"id": "outage", "workload": _workload(
            "Dependency outage", f"20 a second; {target} is unavailable from 20 s to 35 s.", each(rate=steady),
            faults=[{"component": target, "kind": "unavailable", "from_s": 20, "to_s": 35}])})
    return found
