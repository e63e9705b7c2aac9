"""Workload presets for a topology: steady, spike, ramp, poison messages, a dependency outage.

Each is a valid wiretap.workload/1 document sending to the topology's entry points (components
of a kind a workload may send to), and the outage takes down a component downstream.
"""

from __future__ import annotations

from typing import Any

from emulator.catalog import KINDS
from emulator.workload import FORMAT


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


def _workload(name: str, description: str, sources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"format": FORMAT, "name": name, "description": description, "seed": 1, "duration_s": 60,
            "drain_s": 120, "sources": sources, **extra}


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
        {"id": "poison", "workload": _workload("Poison messages", "20 a second, 5% of them poison (they fail "
                                               "every time they are processed).", each(rate=steady, poison_rate=0.05))},
    ]
    target = _downstream(document, entries)
    if target is not None:
        found.append({"id": "outage", "workload": _workload(
            "Dependency outage", f"20 a second; {target} is unavailable from 20 s to 35 s.", each(rate=steady),
            faults=[{"component": target, "kind": "unavailable", "from_s": 20, "to_s": 35}])})
    return found
