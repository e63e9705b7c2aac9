"""Hypothesis strategies for whole documents: topologies built from the catalog's JSON Schema with a
small workload, and mutations of the examples' topologies and workloads.

Generated workloads are small (at most 2 s of arrivals at 50 a second, a drain of at most 20 s), so
a case runs in milliseconds; ``bounded`` shrinks a mutated example's workload the same way once it
has been checked, so its run stays as short.

hypothesis-jsonschema 0.23.1 cannot draw objects with the pinned hypothesis (its object strategy calls
``many.more()``, which hypothesis 6.170 no longer has), so ``from_json_schema`` builds objects and
arrays itself, key by key, and leaves every other schema (strings with patterns, numbers, enums, any
JSON value) to hypothesis-jsonschema.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from emulator.catalog import KINDS, ROLES, describe
from emulator.workload import schema as workload_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAX_COMPONENTS = 6
MAX_CONNECTIONS = 8
# What a generated or bounded workload may ask for.
DURATION_S = 2.0
DRAIN_S = 20.0
PER_SECOND = 50.0
COUNT = 20
Document = dict[str, Any]


@cache
def _kind_schemas() -> dict[str, dict[str, Any]]:
    return {kind["name"]: kind for kind in describe()["kinds"]}


@cache
def _role_schema(role_name: str, source_kind: str, target_kind: str) -> dict[str, Any]:
    """The role's properties schema, keeping only those valid between the two kinds."""
    role = ROLES[role_name]
    described = next(r for r in describe()["roles"] if r["name"] == role_name)["properties"]
    allowed = {f.name for f in role.properties
               if (source_kind, target_kind) in role.property_pairs.get(f.name, role.pairs)}
    return {**described, "properties": {k: v for k, v in described["properties"].items() if k in allowed}}


_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}


def from_json_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the JSON Schema describes (the subset the catalog and the workload use), one strategy per
    schema built once (building them costs more than drawing from them)."""
    key = json.dumps(schema, sort_keys=True)
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = _build(schema)
    return strategy


def _build(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_json_schema(option) for option in schema[combinator]])
    if schema.get("type") == "object" and "enum" not in schema:
        return _object(schema)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return st.lists(from_json_schema(schema["items"]), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    leaf = {key: value for key, value in schema.items() if key not in ("description", "default")}
    return from_schema(leaf)


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    additional = schema.get("additionalProperties", {})
    fixed = st.fixed_dictionaries({name: from_json_schema(properties[name]) for name in properties if name in required},
                                  optional={name: from_json_schema(field) for name, field in properties.items()
                                            if name not in required})
    if properties or additional is False:
        return fixed
    names = from_json_schema({"type": "string", **schema.get("propertyNames", {})})
    values = from_json_schema(additional) if isinstance(additional, dict) and additional else from_schema({})
    return st.dictionaries(names, values, min_size=schema.get("minProperties", 0),
                           max_size=min(schema.get("maxProperties", 3), 3))


def _values(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the schema's properties: each left out, at its default, or generated."""
    key = "values:" + json.dumps(schema, sort_keys=True)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _build_values(schema)
    return _STRATEGIES[key]


def _build_values(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {}
    for name, field in schema["properties"].items():
        options = [st.none(), from_json_schema(field)]
        if field.get("default") is not None:
            options.append(st.just(field["default"]))
        fields[name] = st.one_of(*options)
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _with_references(value: Any, schema: dict[str, Any], ids: list[str], draw: st.DrawFn) -> Any:
    """``value`` with every component reference (x-references) naming one of ``ids``, mostly."""
    if schema.get("x-references") == "component" and isinstance(value, str):
        return draw(st.sampled_from([*ids, value]))
    if isinstance(value, dict) and "properties" in schema:
        return {k: _with_references(v, schema["properties"].get(k, {}), ids, draw) for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_with_references(item, schema["items"], ids, draw) for item in value]
    return value


@st.composite
def generated_topology(draw: st.DrawFn) -> Document:
    """Components of any kinds with properties from each kind's schema, connections from the roles'
    allowed pairs with their properties."""
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=MAX_COMPONENTS))
    ids = [f"C{index}" for index in range(len(kinds))]
    components = []
    for component_id, kind in zip(ids, kinds, strict=True):
        described = _kind_schemas()[kind]
        component: Document = {"id": component_id, "kind": kind}
        for section in ("properties", "behavior"):
            values = draw(_values(described[section]))
            if values:
                component[section] = values
        components.append(component)
    candidates = [(role.name, s, t) for role in ROLES.values() for s in range(len(kinds)) for t in range(len(kinds))
                  if role.allows(kinds[s], kinds[t])]
    chosen = draw(st.lists(st.sampled_from(candidates), max_size=MAX_CONNECTIONS, unique=True)) if candidates else []
    connections = []
    for role_name, source, target in chosen:
        schema = _role_schema(role_name, kinds[source], kinds[target])
        properties = _with_references(draw(_values(schema)), schema, ids, draw)
        connection: Document = {"source": ids[source], "target": ids[target], "role": role_name}
        if properties:
            connection["properties"] = properties
        connections.append(connection)
    return {"format": "wiretap.topology/1", "name": "generated", "components": components, "connections": connections}


@cache
def _small_workload_schema() -> dict[str, Any]:
    """The workload's schema with every size cut to what runs in milliseconds."""
    small = copy.deepcopy(workload_schema())
    top = small["properties"]
    top["duration_s"]["maximum"] = DURATION_S
    top["drain_s"]["maximum"] = DRAIN_S
    top["sources"]["maxItems"] = 2
    top["faults"]["maxItems"] = 2
    source = top["sources"]["items"]["properties"]
    source["rate"]["properties"]["per_second"]["maximum"] = PER_SECOND
    source["ramp"]["maxItems"] = 3
    for key in ("at_s", "per_second"):
        source["ramp"]["items"]["properties"][key]["maximum"] = DURATION_S if key == "at_s" else PER_SECOND
    source["count"]["anyOf"][0]["maximum"] = COUNT
    source["start_s"]["maximum"] = DURATION_S
    source["attributes"]["maxProperties"] = 3
    fault = top["faults"]["items"]["properties"]
    for key in ("from_s", "to_s"):
        fault[key]["maximum"] = DURATION_S + DRAIN_S
    return small


_PAYLOADS = st.one_of(
    from_json_schema({"type": "object", "maxProperties": 3}),
    st.sampled_from([{"n": "$seq", "id": "$message_id", "at": "$timestamp"}, {"amount": {"$uniform": [1, 500]}},
                     {"kind": {"$choice": ["a", "b"], "weights": [1, 3]}}, "$seq", [1, "$$literal"]]),
)


@st.composite
def small_workload(draw: st.DrawFn, topology: Document) -> Document:
    """A workload from the (small) workload schema, sent to the topology's entry points."""
    ids = [c["id"] for c in topology["components"]]
    entries = [c["id"] for c in topology["components"] if KINDS[c["kind"]].entry_point] or ids
    workload = draw(from_json_schema(_small_workload_schema()))
    for source in workload["sources"]:
        source["target"] = draw(st.sampled_from(entries))
        source["payload"] = draw(_PAYLOADS)
    for fault in workload.get("faults", []):
        fault["component"] = draw(st.sampled_from(ids))
    return workload


# Mutations of the examples -------------------------------------------------------------------------------------------
@cache
def examples() -> list[tuple[str, Document, Document]]:
    return [(path.name, _read(path / "topology.json"), _read(path / "workload.json"))
            for path in sorted(EXAMPLES.iterdir()) if (path / "workload.json").exists()]


def _read(path: Path) -> Document:
    document: Document = json.loads(path.read_text())
    return document


OTHER_VALUES = (None, True, False, 0, -1, 1, 2.5, -1e300, 1e300, 5e-324, 2**63, "", "x", "Ghost", [], [1], {},
                {"x": 1}, [{"x": 1}])
EXTREME_NUMBERS = (0, -1, -0.5, 1e308, 10**18, 5e-324, 1e-9, 2**63 - 1)


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _get(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def _mutate_once(draw: st.DrawFn, document: Document, ids: list[str]) -> Document:
    path = draw(st.sampled_from(_paths(document)[1:]))
    parent, key = _get(document, path[:-1]), path[-1]
    value = parent[key]
    choices = ["other type"]
    if isinstance(parent, dict):
        choices.append("delete")
    if isinstance(parent, list):
        choices.append("duplicate")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        choices.append("extreme number")
    if isinstance(value, (list, dict, str)):
        choices.append("empty")
    if key == "kind" or (isinstance(value, str) and value in ids):
        choices.append("unknown name")
    action = draw(st.sampled_from(choices))
    if action == "delete":
        del parent[key]
    elif action == "duplicate":
        parent.append(copy.deepcopy(value))
    elif action == "extreme number":
        parent[key] = draw(st.sampled_from(EXTREME_NUMBERS))
    elif action == "empty":
        parent[key] = type(value)()
    elif action == "unknown name":
        parent[key] = draw(st.sampled_from(["Ghost", "mainframe", ids[0] if ids else "Ghost"]))
    else:
        parent[key] = copy.deepcopy(draw(st.sampled_from(OTHER_VALUES)))
    return document


@st.composite
def mutated_example(draw: st.DrawFn) -> tuple[str, Document, Document]:
    """An example's topology and workload with one to three parts replaced, deleted, emptied or pushed to
    extremes (in the topology, the workload, or both)."""
    name, topology, workload = copy.deepcopy(draw(st.sampled_from(examples())))
    ids = [c["id"] for c in topology["components"]]
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            topology = draw(_mutate_once(topology, ids))
        else:
            workload = draw(_mutate_once(workload, ids))
    return name, topology, workload


def bounded(workload: Document) -> Document:
    """A valid workload cut to what runs in milliseconds: arrivals, drain, rates and counts capped."""
    small = copy.deepcopy(workload)
    small["duration_s"] = min(small["duration_s"], DURATION_S)
    small["drain_s"] = min(small.get("drain_s", DRAIN_S), DRAIN_S)
    for source in small["sources"]:
        source["rate"]["per_second"] = min(source["rate"]["per_second"], PER_SECOND)
        for step in source.get("ramp", []):
            step["per_second"] = min(step["per_second"], PER_SECOND)
        source["count"] = min(source.get("count") or COUNT, COUNT)
    return small
