"""Loading and validating ``wiretap.workload/1`` documents (formats.md section 2).

Payload generators make messages vary reproducibly from the seed:
``"$seq"`` (1, 2, 3... per source), ``"$message_id"``, ``"$timestamp"`` (the send time, ISO 8601),
``{"$uniform": [low, high]}`` (integers when both bounds are integers, else a number with two
decimals), ``{"$choice": [a, b, ...]}`` (optionally with ``"weights": [...]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from emulator.faults import FAULT_KINDS, FaultWindow
from emulator.problems import InvalidDocument, Problem, check_format, pointer, unknown_fields
from emulator.topology import Topology

FORMAT = "wiretap.workload/1"
DEFAULT_DRAIN_S = 600.0
# A seed is stored as a signed 64-bit integer (the console's runs) and seeds random.Random.
MAX_SEED: Final = 2**63 - 1
_TOP_LEVEL = {"format", "name", "description", "seed", "duration_s", "drain_s", "sources", "faults"}
_SOURCE_KEYS = {"target", "rate", "ramp", "payload", "attributes", "group_id", "deduplication_id",
                "poison_rate", "count", "start_s"}
_FAULT_KEYS = {"component", "kind", "value", "from_s", "to_s"}
_GENERATORS = {"$uniform", "$choice"}
_STRING_GENERATORS = {"$seq", "$message_id", "$timestamp"}


@dataclass(frozen=True)
class RampStep:
    at_s: float
    per_second: float


@dataclass(frozen=True)
class Source:
    target: str
    per_second: float
    arrival: str
    ramp: tuple[RampStep, ...]
    payload: Any
    attributes: dict[str, Any]
    group_id: Any
    deduplication_id: Any
    poison_rate: float
    count: int | None
    start_s: float
    index: int


@dataclass(frozen=True)
class Fault:
    component: str
    window: FaultWindow


@dataclass(frozen=True)
class Workload:
    seed: int
    duration_s: float
    drain_s: float
    sources: tuple[Source, ...]
    faults: tuple[Fault, ...]
    document: dict[str, Any]


def load_workload(document: Any, topology: Topology | None = None) -> Workload:
    """Validate a parsed workload (against the topology, when given); raises InvalidDocument."""
    problems = check_workload(document, topology)
    if problems:
        raise InvalidDocument("the workload", problems)
    return _build(document)


def check_workload(document: Any, topology: Topology | None = None) -> list[Problem]:
    if not isinstance(document, dict):
        return [Problem("", "a workload must be a JSON object")]
    problems = check_format(document, FORMAT, _TOP_LEVEL, "a workload")
    seed = document.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(Problem("/seed", f"must be a whole number from 0 to {MAX_SEED} (2**63 - 1), got "
                                f"{json.dumps(seed)}"))
    _number(document, "duration_s", problems, "", minimum=0.0, required=True, above=True)
    _number(document, "drain_s", problems, "", minimum=0.0)
    sources = document.get("sources")
    if not isinstance(sources, list) or not sources:
        problems.append(Problem("/sources", "must be a non-empty array of sources"))
        sources = []
    for index, source in enumerate(sources):
        _check_source(source, pointer("sources", index), topology, problems)
    faults = document.get("faults", [])
    if not isinstance(faults, list):
        problems.append(Problem("/faults", "must be an array of faults"))
        faults = []
    for index, fault in enumerate(faults):
        _check_fault(fault, pointer("faults", index), topology, problems)
    return problems


def _number(holder: dict[str, Any], key: str, problems: list[Problem], where: str, *, minimum: float | None = None,
            maximum: float | None = None, required: bool = False, above: bool = False, subject: str = "") -> None:
    value = holder.get(key)
    if value is None:
        if required:
            problems.append(Problem(f"{where}/{key}", f"{key} is required", subject))
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(Problem(f"{where}/{key}", f"{key} must be a number, got {json.dumps(value)}", subject))
        return
    if minimum is not None and (value <= minimum if above else value < minimum):
        bound = "above" if above else "at least"
        problems.append(Problem(f"{where}/{key}", f"{key} must be {bound} {minimum:g}, got {value:g}", subject))
    if maximum is not None and value > maximum:
        problems.append(Problem(f"{where}/{key}", f"{key} must be at most {maximum:g}, got {value:g}", subject))


def _check_source(source: Any, where: str, topology: Topology | None, problems: list[Problem]) -> None:
    if not isinstance(source, dict):
        problems.append(Problem(where, "a source must be an object with target and rate"))
        return
    target = source.get("target")
    subject = str(target)
    problems.extend(unknown_fields(source, _SOURCE_KEYS, where, "a source", subject))
    if not isinstance(target, str):
        problems.append(Problem(f"{where}/target", "must name the component that receives the messages", subject))
    elif topology is not None:
        spec = topology.components.get(target)
        if spec is None:
            problems.append(Problem(f"{where}/target", f"{target!r} is not a component of the topology; "
                                    f"components: {', '.join(topology.components)}", subject))
        else:
            from emulator.catalog import KINDS

            if not KINDS[spec.kind].entry_point:
                entries = [c for c, s in topology.components.items() if KINDS[s.kind].entry_point]
                problems.append(Problem(f"{where}/target", f"{target} is a {spec.kind}, which cannot receive "
                                        f"messages from outside; entry points here: {', '.join(entries)}", subject))
    rate = source.get("rate")
    if not isinstance(rate, dict):
        problems.append(Problem(f"{where}/rate", 'must be {"per_second": n, "arrival": "constant" | "poisson"}',
                                subject))
    else:
        _number(rate, "per_second", problems, f"{where}/rate", minimum=0.0, required=True, above=True,
                subject=subject)
        if rate.get("arrival", "constant") not in ("constant", "poisson"):
            problems.append(Problem(f"{where}/rate/arrival", 'must be "constant" or "poisson", got '
                                    f"{json.dumps(rate.get('arrival'))}", subject))
        problems.extend(unknown_fields(rate, ("per_second", "arrival"), f"{where}/rate", "a rate", subject))
    ramp = source.get("ramp", [])
    if not isinstance(ramp, list):
        problems.append(Problem(f"{where}/ramp", 'must be an array of {"at_s": t, "per_second": n}', subject))
    else:
        previous = -1.0
        for step_index, step in enumerate(ramp):
            step_where = f"{where}/ramp/{step_index}"
            if not isinstance(step, dict):
                problems.append(Problem(step_where, 'must be {"at_s": t, "per_second": n}', subject))
                continue
            _number(step, "at_s", problems, step_where, minimum=0.0, required=True, subject=subject)
            _number(step, "per_second", problems, step_where, minimum=0.0, required=True, subject=subject)
            at = step.get("at_s")
            if isinstance(at, (int, float)) and not isinstance(at, bool):
                if at <= previous:
                    problems.append(Problem(f"{step_where}/at_s", "ramp steps must be in increasing at_s order",
                                            subject))
                previous = float(at)
    _number(source, "poison_rate", problems, where, minimum=0.0, maximum=1.0, subject=subject)
    _number(source, "start_s", problems, where, minimum=0.0, subject=subject)
    count = source.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        problems.append(Problem(f"{where}/count", f"count must be a whole number of 1 or more, or null, got "
                                f"{json.dumps(count)}", subject))
    attributes = source.get("attributes", {})
    if not isinstance(attributes, dict):
        problems.append(Problem(f"{where}/attributes", "must be an object of attribute names to values", subject))
    for key in ("payload", "attributes", "group_id", "deduplication_id"):
        if key in source:
            _check_generators(source[key], f"{where}/{key}", subject, problems)


def _check_generators(value: Any, where: str, subject: str, problems: list[Problem]) -> None:
    """Generators must be well formed: a typo should not silently become a literal."""
    if isinstance(value, str):
        if value.startswith("$") and value not in _STRING_GENERATORS and not value.startswith("$$"):
            problems.append(Problem(where, f"unknown generator {value!r}; string generators: "
                                    f"{', '.join(sorted(_STRING_GENERATORS))} (write $$ for a literal $)", subject))
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_generators(item, f"{where}/{index}", subject, problems)
        return
    if not isinstance(value, dict):
        return
    generator_keys = [k for k in value if k.startswith("$")]
    if not generator_keys:
        for key, item in value.items():
            _check_generators(item, f"{where}/{key}", subject, problems)
        return
    name = generator_keys[0]
    if name not in _GENERATORS:
        problems.append(Problem(f"{where}/{name}", f"unknown generator {name!r}; object generators: "
                                f"{', '.join(sorted(_GENERATORS))}", subject))
        return
    argument = value[name]
    if name == "$uniform":
        if not (isinstance(argument, list) and len(argument) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in argument)
                and argument[0] <= argument[1]):
            problems.append(Problem(f"{where}/$uniform", "must be [low, high] with low <= high", subject))
    elif name == "$choice":
        if not isinstance(argument, list) or not argument:
            problems.append(Problem(f"{where}/$choice", "must be a non-empty array of values", subject))
        weights = value.get("weights")
        if weights is not None and not (
            isinstance(weights, list) and isinstance(argument, list) and len(weights) == len(argument)
            and all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights)
            and sum(weights) > 0
        ):
            problems.append(Problem(f"{where}/weights", "must be one non-negative number per choice, not all 0",
                                    subject))


def _check_fault(fault: Any, where: str, topology: Topology | None, problems: list[Problem]) -> None:
    if not isinstance(fault, dict):
        problems.append(Problem(where, "a fault must be an object with component, kind, from_s and to_s"))
        return
    component = fault.get("component")
    subject = str(component)
    problems.extend(unknown_fields(fault, _FAULT_KEYS, where, "a fault", subject))
    if not isinstance(component, str) or (topology is not None and component not in topology.components):
        problems.append(Problem(f"{where}/component", f"{json.dumps(component)} is not a component of the "
                                "topology", subject))
    kind = fault.get("kind")
    if kind not in FAULT_KINDS:
        problems.append(Problem(f"{where}/kind", f"unknown fault kind {json.dumps(kind)}; valid: "
                                f"{', '.join(FAULT_KINDS)}", subject))
    _number(fault, "from_s", problems, where, minimum=0.0, subject=subject)
    _number(fault, "to_s", problems, where, minimum=0.0, subject=subject)
    start, end = fault.get("from_s", 0), fault.get("to_s")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end <= start:
        problems.append(Problem(f"{where}/to_s", f"to_s ({end}) must be after from_s ({start})", subject))
    if kind in ("slow", "error_rate", "throttle"):
        maximum = 1.0 if kind == "error_rate" else None
        _number(fault, "value", problems, where, minimum=0.0, maximum=maximum, required=True, subject=subject)


def _build(document: dict[str, Any]) -> Workload:
    sources = []
    for index, raw in enumerate(document["sources"]):
        rate = raw["rate"]
        sources.append(Source(
            target=raw["target"],
            per_second=float(rate["per_second"]),
            arrival=rate.get("arrival", "constant"),
            ramp=tuple(RampStep(float(s["at_s"]), float(s["per_second"])) for s in raw.get("ramp", [])),
            payload=raw.get("payload", {}),
            attributes=raw.get("attributes", {}),
            group_id=raw.get("group_id"),
            deduplication_id=raw.get("deduplication_id"),
            poison_rate=float(raw.get("poison_rate", 0.0)),
            count=raw.get("count"),
            start_s=float(raw.get("start_s", 0.0)),
            index=index,
        ))
    faults = tuple(
        Fault(raw["component"], FaultWindow(raw["kind"], float(raw.get("from_s", 0.0)),
                                            float(raw.get("to_s", float("inf"))), float(raw.get("value", 0.0))))
        for raw in document.get("faults", [])
    )
    return Workload(
        seed=int(document.get("seed", 0)),
        duration_s=float(document["duration_s"]),
        drain_s=float(document.get("drain_s", DEFAULT_DRAIN_S)),
        sources=tuple(sources),
        faults=faults,
        document=document,
    )
