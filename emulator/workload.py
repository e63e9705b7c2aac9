"""Loading and validating ``wiretap.workload/1`` documents (formats.md section 2).

Payload generators make messages vary reproducibly from the seed:
``"$seq"`` (1, 2, 3... per source), ``"$message_id"``, ``"$timestamp"`` (the send time, ISO 8601),
``{"$uniform": [low, high]}`` (integers when both bounds are integers, else a number with two
decimals), ``{"$choice": [a, b, ...]}`` (optionally with ``"weights": [...]``).

The document's shape is ``FIELDS`` (``schema()`` is its JSON Schema): every number finite and within
a range that bounds a run (arrivals for up to a week, a drain of up to 30 days, a million messages
a second a source), each problem at its pointer, all at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

from emulator.definitions import MAX_ARRIVALS_S, MAX_DRAIN_S, MAX_DURATION_MS, MAX_RUN_S, Field, fields_schema
from emulator.faults import FAULT_KINDS, FaultWindow
from emulator.problems import InvalidDocument, Problem, check_format, pointer
from emulator.topology import Topology
from emulator.values import shape_problems

FORMAT = "wiretap.workload/1"
DEFAULT_DRAIN_S = 600.0
# A seed is stored as a signed 64-bit integer (the console's runs) and seeds random.Random.
MAX_SEED: Final = 2**63 - 1
_TOP_LEVEL = {"format", "name", "description", "seed", "duration_s", "drain_s", "sources", "faults"}
# The most messages a second one source sends (a ramp step included), and the most it sends in all.
MAX_RATE = 1_000_000
MAX_COUNT = 100_000_000
# Sources and faults in one workload.
MAX_SOURCES = 100
MAX_FAULTS = 1000
MAX_RAMP_STEPS = 1000
# What a fault's value may be, by kind: extra milliseconds, a probability, requests a second.
FAULT_VALUE_RANGES = {"slow": (0.0, float(MAX_DURATION_MS)), "error_rate": (0.0, 1.0),
                      "throttle": (0.0, float(MAX_RATE))}

RATE = Field("rate", "object", None,
             'How fast messages arrive: {"per_second": n, "arrival": "constant" | "poisson"}.', required=True, fields=(
                 Field("per_second", "number", None, "Messages a second (before the first ramp step).", required=True,
                       minimum=0, exclusive_minimum=True, maximum=MAX_RATE, unit="messages/s"),
                 Field("arrival", "string", "constant", "constant: evenly spaced; poisson: random gaps of that mean.",
                       enum=("constant", "poisson")),
             ))
RAMP = Field("ramp", "array", [], 'Rate changes: [{"at_s": t, "per_second": n}], in increasing at_s order.',
             max_size=MAX_RAMP_STEPS, items=Field("ramp step", "object", None, "From at_s on, per_second.", fields=(
                 Field("at_s", "number", None, "When the rate changes, in run seconds.", required=True, minimum=0,
                       maximum=MAX_ARRIVALS_S, unit="seconds"),
                 Field("per_second", "number", None, "The rate from then on (0 pauses the source).", required=True,
                       minimum=0, maximum=MAX_RATE, unit="messages/s"),
             )))
_TEMPLATE_HELP = "A template: any JSON value, with generators ($seq, $message_id, $timestamp, $uniform, $choice)."
SOURCE = Field("source", "object", None, "Messages sent to one entry point.", fields=(
    Field("target", "string", None, "The component that receives the messages (an entry point).", required=True,
          min_size=1, max_size=64),
    RATE,
    RAMP,
    Field("payload", "any", {}, "Each message's payload. " + _TEMPLATE_HELP),
    Field("attributes", "object", {}, "Message attributes: names to templates.", max_size=100,
          keys=Field("attribute name", "string", None, "An attribute's name.", min_size=1, max_size=256),
          values=Field("attribute", "any", None, _TEMPLATE_HELP)),
    Field("group_id", "any", None, "The FIFO message group id. " + _TEMPLATE_HELP),
    Field("deduplication_id", "any", None, "The FIFO deduplication id. " + _TEMPLATE_HELP),
    Field("poison_rate", "number", 0.0, "The share of messages that fail in every Lambda that handles them.",
          minimum=0, maximum=1),
    Field("count", "integer", None, "Stop after this many messages (null: when arrivals stop).", nullable=True,
          minimum=1, maximum=MAX_COUNT),
    Field("start_s", "number", 0.0, "When the source starts sending, in run seconds.", minimum=0,
          maximum=MAX_ARRIVALS_S, unit="seconds"),
))
FAULT = Field("fault", "object", None, "A window of virtual time in which a component misbehaves.", fields=(
    Field("component", "string", None, "The component that misbehaves.", required=True, min_size=1, max_size=64),
    Field("kind", "string", None, "unavailable, slow (value = extra ms), error_rate (value = probability) or "
          "throttle (value = requests a second allowed).", required=True, enum=FAULT_KINDS),
    Field("value", "number", None, "The fault's size, by kind (see kind).", minimum=0, maximum=MAX_DURATION_MS),
    Field("from_s", "number", 0.0, "When the fault starts, in run seconds.", minimum=0, maximum=MAX_RUN_S,
          unit="seconds"),
    Field("to_s", "number", None, "When it ends (after from_s; without it, never).", minimum=0, maximum=MAX_RUN_S,
          unit="seconds"),
))
FIELDS = (
    Field("name", "string", "", "The workload's name.", max_size=256),
    Field("description", "string", "", "What the workload does.", max_size=10_000),
    Field("duration_s", "number", None, "How long messages arrive, in virtual seconds.", required=True, minimum=0,
          exclusive_minimum=True, maximum=MAX_ARRIVALS_S, unit="seconds"),
    Field("drain_s", "number", DEFAULT_DRAIN_S, "How long the run goes on after arrivals stop, for retries, "
          "redrives and backoffs to play out.", minimum=0, maximum=MAX_DRAIN_S, unit="seconds"),
    Field("sources", "array", None, "What arrives where.", required=True, min_size=1, max_size=MAX_SOURCES,
          items=SOURCE),
    Field("faults", "array", [], "Faults injected during the run.", max_size=MAX_FAULTS, items=FAULT),
)
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
    for spec in FIELDS:
        where = pointer(spec.name)
        if spec.name in document:
            problems.extend(Problem(at, message, _subject(document, at))
                            for at, message in shape_problems(spec, document[spec.name], where))
        elif spec.required:
            problems.append(Problem(where, f"{spec.name} is required: {spec.help}"))
    sources = document.get("sources")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        if isinstance(source, dict):
            _check_source(source, pointer("sources", index), topology, problems)
    faults = document.get("faults", [])
    for index, fault in enumerate(faults if isinstance(faults, list) else []):
        if isinstance(fault, dict):
            _check_fault(fault, pointer("faults", index), topology, problems)
    return problems


def _subject(document: dict[str, Any], at: str) -> str:
    """The target of the source, or the component of the fault, a pointer is in."""
    parts = at.split("/")
    if len(parts) < 3 or parts[1] not in ("sources", "faults") or not parts[2].isdigit():
        return ""
    items = document.get(parts[1])
    index = int(parts[2])
    item = items[index] if isinstance(items, list) and index < len(items) else None
    if not isinstance(item, dict):
        return ""
    name = item.get("target" if parts[1] == "sources" else "component")
    return name if isinstance(name, str) else ""


def schema() -> dict[str, Any]:
    """The workload document's JSON Schema, from the Fields the loader checks (the seed's range is the
    loader's own check)."""
    described = fields_schema(FIELDS)
    described["properties"] = {
        "format": {"const": FORMAT, "description": "The document's format."},
        "seed": {"type": "integer", "minimum": 0, "description": "The run's random seed."},
        **described["properties"],
    }
    described["required"] = ["format", *described.get("required", [])]
    return described


def _check_source(source: dict[str, Any], where: str, topology: Topology | None, problems: list[Problem]) -> None:
    """What a source's shape does not say: its target in the topology, its ramp's order, its generators."""
    target = source.get("target")
    subject = target if isinstance(target, str) else ""
    if isinstance(target, str) and topology is not None:
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
    ramp = source.get("ramp", [])
    previous: float | None = None
    for step_index, step in enumerate(ramp if isinstance(ramp, list) else []):
        at = step.get("at_s") if isinstance(step, dict) else None
        if isinstance(at, (int, float)) and not isinstance(at, bool):
            if previous is not None and at <= previous:
                problems.append(Problem(f"{where}/ramp/{step_index}/at_s", "ramp steps must be in increasing at_s "
                                        f"order: {at:g} is not after {previous:g}", subject))
            previous = float(at)
    for key in ("payload", "attributes", "group_id", "deduplication_id"):
        if key in source:
            _check_generators(source[key], where + pointer(key), subject, problems)


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
            _check_generators(item, where + pointer(key), subject, problems)
        return
    name = generator_keys[0]
    if name not in _GENERATORS:
        problems.append(Problem(where + pointer(name), f"unknown generator {name!r}; object generators: "
                                f"{', '.join(sorted(_GENERATORS))}", subject))
        return
    argument = value[name]
    if name == "$uniform":
        if not (isinstance(argument, list) and len(argument) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in argument)
                and argument[0] <= argument[1] and math.isfinite(float(argument[1]) - float(argument[0]))):
            problems.append(Problem(f"{where}/$uniform", "must be [low, high] with low <= high, both finite, "
                                    "high - low a finite number", subject))
    elif name == "$choice":
        if not isinstance(argument, list) or not argument:
            problems.append(Problem(f"{where}/$choice", "must be a non-empty array of values", subject))
        weights = value.get("weights")
        if weights is not None and not (
            isinstance(weights, list) and isinstance(argument, list) and len(weights) == len(argument)
            and all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights)
            and 0 < sum(weights) < math.inf
        ):
            # (random.choices refuses weights whose total is not finite.)
            problems.append(Problem(f"{where}/weights", "must be one non-negative number per choice, not all 0, "
                                    "with a finite total", subject))


def _check_fault(fault: dict[str, Any], where: str, topology: Topology | None, problems: list[Problem]) -> None:
    """What a fault's shape does not say: its component in the topology, its window, its value by kind."""
    component = fault.get("component")
    subject = component if isinstance(component, str) else ""
    if isinstance(component, str) and topology is not None and component not in topology.components:
        problems.append(Problem(f"{where}/component", f"{json.dumps(component)} is not a component of the "
                                f"topology; components: {', '.join(topology.components)}", subject))
    start, end = fault.get("from_s", 0), fault.get("to_s")
    if _is_number(start) and _is_number(end) and end <= start:
        problems.append(Problem(f"{where}/to_s", f"to_s ({end:g}) must be after from_s ({start:g})", subject))
    kind = fault.get("kind")
    if not isinstance(kind, str) or kind not in FAULT_VALUE_RANGES:
        return
    limits = FAULT_VALUE_RANGES[kind]
    value = fault.get("value")
    if value is None:
        problems.append(Problem(f"{where}/value", f"a {kind} fault needs value ({_VALUE_MEANING[kind]})", subject))
    elif _is_number(value) and 0 <= value <= MAX_DURATION_MS and not limits[0] <= value <= limits[1]:
        # (Beyond every kind's range, the value's shape already says so.)
        problems.append(Problem(f"{where}/value", f"value of a {kind} fault ({_VALUE_MEANING[kind]}) must be between "
                                f"{_plain(limits[0])} and {_plain(limits[1])}, got {_plain(value)}", subject))


_VALUE_MEANING = {"slow": "extra milliseconds", "error_rate": "the probability a request fails",
                  "throttle": "requests a second allowed"}


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
