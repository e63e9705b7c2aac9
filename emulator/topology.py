"""Loading and validating ``wiretap.topology/1`` documents (formats.md section 1).

Every problem is reported at once, each naming the component or connection and the field
as a JSON pointer, with what would be valid. A valid document becomes a ``Topology``:
the same components and connections with every omitted property at its AWS default.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from emulator.catalog import KINDS, ROLES, roles_between
from emulator.definitions import Field
from emulator.problems import InvalidDocument, Problem, check_format, pointer, unknown_fields
from emulator.values import references, shape_problems

FORMAT = "wiretap.topology/1"
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
_TOP_LEVEL = {"format", "name", "description", "components", "connections", "groups"}
_COMPONENT_KEYS = {"id", "kind", "properties", "behavior", "position", "label"}
_CONNECTION_KEYS = {"source", "target", "role", "properties"}
# Layout and labels (the emulator ignores them, but they must have the shape the designer reads).
_COORDINATE = 1_000_000
NAME = Field("name", "string", "", "The topology's name.", max_size=256)
DESCRIPTION = Field("description", "string", "", "What the topology is.", max_size=10_000)
LABEL = Field("label", "string", None, "The component's label on the canvas.", max_size=256)
POSITION = Field("position", "object", None, "Where the component sits on the canvas.", fields=(
    Field("x", "number", 0, "Pixels from the left.", required=True, minimum=-_COORDINATE, maximum=_COORDINATE),
    Field("y", "number", 0, "Pixels from the top.", required=True, minimum=-_COORDINATE, maximum=_COORDINATE),
))
GROUPS = Field("groups", "array", [], "Boxes around components on the canvas.", items=Field(
    "group", "object", None, 'A box: {"id": ..., "label": ..., "members": [component ids]}.', fields=(
        Field("id", "string", None, "The group's id.", required=True, min_size=1, max_size=64),
        Field("label", "string", "", "The group's label.", max_size=256),
        Field("members", "array", [], "The components inside.", items=Field("member", "string", None,
                                                                             "A component id.", max_size=64)),
    )))


@dataclass(frozen=True)
class ComponentSpec:
    id: str
    kind: str
    properties: dict[str, Any]
    behavior: dict[str, Any]
    index: int
    # The properties the document set explicitly (before defaults).
    explicit: frozenset[str] = frozenset()

    @property
    def pointer(self) -> str:
        return pointer("components", self.index)


@dataclass(frozen=True)
class ConnectionSpec:
    source: str
    target: str
    role: str
    properties: dict[str, Any]
    index: int

    @property
    def pointer(self) -> str:
        return pointer("connections", self.index)

    @property
    def label(self) -> str:
        return f"{self.source} -> {self.target} ({self.role})"


@dataclass(frozen=True)
class Topology:
    name: str
    components: dict[str, ComponentSpec]
    connections: tuple[ConnectionSpec, ...]
    document: dict[str, Any] = field(repr=False, compare=False)

    def outgoing(self, component_id: str, *roles: str) -> list[ConnectionSpec]:
        return [c for c in self.connections if c.source == component_id and (not roles or c.role in roles)]

    def incoming(self, component_id: str, *roles: str) -> list[ConnectionSpec]:
        return [c for c in self.connections if c.target == component_id and (not roles or c.role in roles)]


def load_topology_file(path: str | Path) -> Topology:
    """Read and validate a topology file; raises InvalidDocument listing every problem."""
    return load_topology(read_json(path, "topology"))


def read_json(path: str | Path, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidDocument(f"the {what} file", [Problem("", f"cannot read {path}: {error.strerror}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        problem = Problem("", f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
        raise InvalidDocument(f"the {what} file", [problem]) from None


def load_topology(document: Any) -> Topology:
    """Validate a parsed topology document; raises InvalidDocument listing every problem."""
    problems = check_topology(document)
    if problems:
        raise InvalidDocument("the topology", problems)
    return _build(document)


def check_topology(document: Any) -> list[Problem]:
    """Every error in the document (an empty list when it can run)."""
    return checked(document)[0]


def checked(document: Any) -> tuple[list[Problem], Salvage | None]:
    """Every error in the document, and the part of it that can be checked further (all of it when
    its shape is valid): the shape's errors, then those of the rules across fields and connections,
    checked on what is well formed when the shape is not."""
    problems = check_structure(document)
    if not problems:
        whole = Salvage(_build(document), list(range(len(document["components"]))),
                        list(range(len(document.get("connections", [])))))
        return [_located(problem, document) for problem in check_rules(whole.topology)], whole
    salvaged = salvage(document, problems)
    if salvaged is None:
        return problems, None
    rules = [_located(salvaged.renumber(problem), document) for problem in check_rules(salvaged.topology)]
    return problems + rules, salvaged


def _located(problem: Problem, document: Any) -> Problem:
    """A rule's problem at the field it is about, or where that field would be when the document leaves
    out more than the field itself (a connection without properties: its properties)."""
    node = document
    parts = problem.pointer.split("/")[1:]
    for position, part in enumerate(parts):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            kept = parts[:position + 1] if isinstance(node, dict) else parts[:position]
            return replace(problem, pointer="".join("/" + p for p in kept))
    return problem


@dataclass(frozen=True)
class Salvage:
    """The well-formed part of a document with errors, and where its parts are in the document."""

    topology: Topology
    components: list[int]
    connections: list[int]

    def renumber(self, problem: Problem) -> Problem:
        """A problem found in the salvaged part, pointing into the original document."""
        match = _POINTER.match(problem.pointer)
        if match is None:
            return problem
        originals = self.components if match.group(1) == "components" else self.connections
        at = f"/{match.group(1)}/{originals[int(match.group(2))]}{problem.pointer[match.end(2):]}"
        return replace(problem, pointer=at)


_POINTER = re.compile(r"^/(components|connections)/(\d+)(/(properties|behavior)/([^/]+))?")


def salvage(document: Any, errors: list[Problem]) -> Salvage | None:
    """What of ``document`` is well formed despite ``errors``: a field in error falls back to its default,
    a component or connection in error is left out, and so are the connections to a component left out.
    None when the document as a whole is malformed (not an object, no component list...)."""
    if not isinstance(document, dict) or not isinstance(document.get("components"), list):
        return None
    raw_connections = document.get("connections", [])
    if not isinstance(raw_connections, list):
        return None
    components: list[Any] = copy.deepcopy(document["components"])
    connections: list[Any] = copy.deepcopy(raw_connections)
    dropped: dict[str, set[int]] = {"components": set(), "connections": set()}
    for error in errors:
        match = _POINTER.match(error.pointer)
        if match is None:
            if error.pointer.startswith("/groups") or error.pointer in ("/name", "/description", "/format"):
                continue  # layout and labels: no bearing on what runs
            return None
        collection, index = match.group(1), int(match.group(2))
        items = components if collection == "components" else connections
        item = items[index] if index < len(items) else None
        section, name = match.group(4), match.group(5)
        if section and isinstance(item, dict) and isinstance(item.get(section), dict):
            item[section].pop(name.replace("~1", "/").replace("~0", "~"), None)
        elif not (isinstance(item, dict) and error.pointer.startswith(
                (f"/{collection}/{index}/position", f"/{collection}/{index}/label"))):
            dropped[collection].add(index)
    kept_components = [i for i in range(len(components)) if i not in dropped["components"]]
    kept_ids = {components[i].get("id") for i in kept_components if isinstance(components[i], dict)}
    kept_connections = [
        i for i in range(len(connections))
        if i not in dropped["connections"] and isinstance(connections[i], dict)
        and connections[i].get("source") in kept_ids and connections[i].get("target") in kept_ids
    ]
    usable = {key: value for key, value in document.items() if key not in ("components", "connections", "groups")}
    usable["components"] = [components[i] for i in kept_components]
    usable["connections"] = [connections[i] for i in kept_connections]
    if check_structure(usable):
        return None  # what is left is still malformed
    return Salvage(_build(usable), kept_components, kept_connections)


def check_structure(document: Any) -> list[Problem]:
    """Errors in the document's shape, kinds, roles and field values: what stops it being built."""
    if not isinstance(document, dict):
        return [Problem("", "a topology must be a JSON object")]
    problems = check_format(document, FORMAT, _TOP_LEVEL, "a topology")
    for spec in (NAME, DESCRIPTION):
        if spec.name in document:
            problems.extend(Problem(at, message) for at, message in
                            shape_problems(spec, document[spec.name], pointer(spec.name)))
    components = document.get("components")
    if not isinstance(components, list):
        problems.append(Problem("/components", "must be an array of components"))
        components = []
    connections = document.get("connections", [])
    if not isinstance(connections, list):
        problems.append(Problem("/connections", "must be an array of connections"))
        connections = []
    kinds = _check_components(components, problems)
    _check_connections(connections, kinds, problems)
    _check_groups(document.get("groups", []), kinds, problems)
    return problems


def check_rules(topology: Topology) -> list[Problem]:
    """Errors across fields and connections of a well-formed topology (each kind's ``check``)."""
    problems: list[Problem] = []
    for spec in topology.components.values():
        check = KINDS[spec.kind].check
        if check is not None:
            problems.extend(check(spec, topology))
    return problems


def build_topology(document: dict[str, Any]) -> Topology:
    """A topology from a document that passed ``check_structure`` (its rules unchecked)."""
    return _build(document)


def _check_components(components: list[Any], problems: list[Problem]) -> dict[str, str]:
    """Check each component; return the kind of every component with a usable id."""
    kinds: dict[str, str] = {}
    for index, component in enumerate(components):
        where = pointer("components", index)
        if not isinstance(component, dict):
            problems.append(Problem(where, "a component must be an object with id and kind"))
            continue
        component_id = component.get("id")
        subject = component_id if isinstance(component_id, str) else ""
        problems.extend(unknown_fields(component, _COMPONENT_KEYS, where, "a component", subject))
        if not isinstance(component_id, str) or not ID_PATTERN.match(component_id):
            problems.append(Problem(f"{where}/id", "must be a letter followed by up to 63 letters or digits "
                                    f"(a CloudFormation logical id), got {json.dumps(component_id)}", subject))
        elif component_id in kinds:
            problems.append(Problem(f"{where}/id", f"duplicate id {component_id!r}; ids must be unique", subject))
        kind_name = component.get("kind")
        kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            problems.append(Problem(f"{where}/kind", f"unknown kind {json.dumps(kind_name)}; "
                                    f"valid kinds: {', '.join(KINDS)}", subject))
        if isinstance(component_id, str) and component_id not in kinds:
            kinds[component_id] = kind.name if kind else ""
        if kind is not None:
            _check_fields(component.get("properties", {}), kind.properties, f"{where}/properties",
                          f"{kind.name} ({kind.cloudformation_type or 'no AWS resource'})", subject, problems)
            _check_fields(component.get("behavior", {}), kind.behavior, f"{where}/behavior",
                          f"{kind.name} behavior", subject, problems)
        for spec in (POSITION, LABEL):
            if component.get(spec.name) is not None:
                problems.extend(Problem(at, message, subject) for at, message in
                                shape_problems(spec, component[spec.name], f"{where}/{spec.name}"))
    return kinds


def _check_fields(values: Any, fields: tuple[Field, ...], where: str, owner: str, subject: str,
                  problems: list[Problem], allowed: set[str] | None = None) -> None:
    if not isinstance(values, dict):
        problems.append(Problem(where, "must be an object", subject))
        return
    by_name = {f.name: f for f in fields}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is None or (allowed is not None and name not in allowed):
            names = [f.name for f in fields if allowed is None or f.name in allowed]
            valid = f"valid: {', '.join(names)}" if names else "it takes none"
            problems.append(Problem(f"{where}/{_escape(name)}", f"unknown {owner} property {name!r}; {valid}",
                                    subject))
            continue
        if value is None and spec.default is None:
            continue
        problems.extend(Problem(at, message, subject)
                        for at, message in shape_problems(spec, value, f"{where}/{_escape(name)}"))


def _check_connections(connections: list[Any], kinds: dict[str, str], problems: list[Problem]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for index, connection in enumerate(connections):
        where = pointer("connections", index)
        if not isinstance(connection, dict):
            problems.append(Problem(where, "a connection must be an object with source, target and role"))
            continue
        source, target, role_name = connection.get("source"), connection.get("target"), connection.get("role")
        subject = f"{source} -> {target} ({role_name})"
        problems.extend(unknown_fields(connection, _CONNECTION_KEYS, where, "a connection", subject))
        ends_ok = True
        for end, value in (("source", source), ("target", target)):
            if not isinstance(value, str) or value not in kinds:
                problems.append(Problem(f"{where}/{end}", f"{end} {json.dumps(value)} is not a component id", subject))
                ends_ok = False
        role = ROLES.get(role_name) if isinstance(role_name, str) else None
        if role is None:
            problems.append(Problem(f"{where}/role", f"unknown role {json.dumps(role_name)}; "
                                    f"valid roles: {', '.join(ROLES)}", subject))
            continue
        if not ends_ok:
            continue
        assert isinstance(source, str) and isinstance(target, str)
        source_kind, target_kind = kinds[source], kinds[target]
        if not source_kind or not target_kind:
            continue
        if not role.allows(source_kind, target_kind):
            valid = roles_between(source_kind, target_kind)
            hint = f"valid roles from {source_kind} to {target_kind}: {', '.join(valid)}" if valid else \
                f"no role connects {source_kind} to {target_kind}"
            problems.append(Problem(f"{where}/role", f"a {role.name} connection cannot go from {source_kind} "
                                    f"to {target_kind}; {hint}", subject))
            continue
        key = (source, target, role.name)
        if key in seen:
            problems.append(Problem(where, f"duplicate connection: {source} already has a {role.name} "
                                    f"connection to {target}", subject))
        seen.add(key)
        allowed = {f.name for f in role.properties
                   if (source_kind, target_kind) in role.property_pairs.get(f.name, role.pairs)}
        properties = connection.get("properties", {})
        _check_fields(properties, role.properties, f"{where}/properties", f"{role.name} connection", subject,
                      problems, allowed)
        if isinstance(properties, dict):
            _check_references(properties, role.properties, kinds, f"{where}/properties", subject, problems)
        if role.name == "dead_letter" and source_kind == "sqs" and not (
            isinstance(properties, dict) and properties.get("maxReceiveCount") is not None
        ):
            # Where it would be: in the properties, or the properties themselves when there are none.
            at = f"{where}/properties/maxReceiveCount" if isinstance(connection.get("properties"), dict) \
                else f"{where}/properties"
            problems.append(Problem(at, "a queue's redrive needs maxReceiveCount (1-1000): the receives before a "
                                    "message moves", subject))


def _check_references(properties: dict[str, Any], fields: tuple[Field, ...], kinds: dict[str, str], where: str,
                      subject: str, problems: list[Problem]) -> None:
    """Properties (or parts of them) that name another component must name one that exists."""
    for spec in fields:
        value = properties.get(spec.name)
        if value is None:
            continue
        for at, reference in references(spec, value, f"{where}/{_escape(spec.name)}"):
            if isinstance(reference, str) and reference not in kinds:
                problems.append(Problem(at, f"must name a component id, got {json.dumps(reference)}; "
                                        f"components: {', '.join(kinds) or 'none'}", subject))


def _check_groups(groups: Any, kinds: dict[str, str], problems: list[Problem]) -> None:
    problems.extend(Problem(at, message) for at, message in shape_problems(GROUPS, groups, "/groups"))
    for index, group in enumerate(groups if isinstance(groups, list) else []):
        members = group.get("members", []) if isinstance(group, dict) else []
        subject = str(group.get("id", "")) if isinstance(group, dict) else ""
        for position, member in enumerate(members if isinstance(members, list) else []):
            if isinstance(member, str) and member not in kinds:
                problems.append(Problem(pointer("groups", index, "members", position),
                                        f"{json.dumps(member)} is not a component id", subject))


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _build(document: dict[str, Any]) -> Topology:
    components: dict[str, ComponentSpec] = {}
    for index, raw in enumerate(document.get("components", [])):
        kind = KINDS[raw["kind"]]
        properties, behavior = kind.defaults()
        explicit = raw.get("properties", {}) or {}
        properties.update({k: v for k, v in explicit.items() if v is not None})
        behavior.update({k: v for k, v in (raw.get("behavior", {}) or {}).items() if v is not None})
        components[raw["id"]] = ComponentSpec(raw["id"], kind.name, properties, behavior, index,
                                              frozenset(explicit))
    connections = []
    for index, raw in enumerate(document.get("connections", [])):
        role = ROLES[raw["role"]]
        properties = {f.name: f.default for f in role.properties}
        properties.update({k: v for k, v in (raw.get("properties", {}) or {}).items() if v is not None})
        connections.append(ConnectionSpec(raw["source"], raw["target"], role.name, properties, index))
    return Topology(str(document.get("name", "")), components, tuple(connections), document)
