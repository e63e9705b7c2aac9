"""Loading and validating ``wiretap.topology/1`` documents (formats.md section 1).

Every problem is reported at once, each naming the component or connection and the field
as a JSON pointer, with what would be valid. A valid document becomes a ``Topology``:
the same components and connections with every omitted property at its AWS default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.catalog import KINDS, ROLES, roles_between
from emulator.definitions import Field
from emulator.problems import InvalidDocument, Problem, check_format, pointer, unknown_fields
from emulator.values import type_error

FORMAT = "wiretap.topology/1"
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
_TOP_LEVEL = {"format", "name", "description", "components", "connections", "groups"}
_COMPONENT_KEYS = {"id", "kind", "properties", "behavior", "position", "label"}
_CONNECTION_KEYS = {"source", "target", "role", "properties"}


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
    problems = check_structure(document)
    if not problems:
        problems = check_rules(_build(document))
    return problems


def check_structure(document: Any) -> list[Problem]:
    """Errors in the document's shape, kinds, roles and field values: what stops it being built."""
    if not isinstance(document, dict):
        return [Problem("", "a topology must be a JSON object")]
    problems = check_format(document, FORMAT, _TOP_LEVEL, "a topology")
    if not isinstance(document.get("name", ""), str):
        problems.append(Problem("/name", "must be a string"))
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
        position = component.get("position")
        if position is not None and not (
            isinstance(position, dict)
            and all(isinstance(position.get(axis), (int, float)) for axis in ("x", "y"))
        ):
            problems.append(Problem(f"{where}/position", 'must be {"x": number, "y": number}', subject))
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
        error = type_error(spec, value)
        if error:
            problems.append(Problem(f"{where}/{_escape(name)}", f"{name} {error}", subject))


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
            _check_references(properties, kinds, f"{where}/properties", subject, problems)
        if role.name == "dead_letter" and source_kind == "sqs" and not (
            isinstance(properties, dict) and properties.get("maxReceiveCount") is not None
        ):
            problems.append(Problem(f"{where}/properties/maxReceiveCount", "a queue's redrive needs "
                                    "maxReceiveCount (1-1000): the receives before a message moves", subject))


def _check_references(properties: dict[str, Any], kinds: dict[str, str], where: str, subject: str,
                      problems: list[Problem]) -> None:
    """Properties that name another component must name one that exists."""
    references: list[tuple[str, Any]] = []
    redrive = properties.get("RedrivePolicy")
    if isinstance(redrive, dict):
        references.append(("RedrivePolicy/deadLetterTargetArn", redrive.get("deadLetterTargetArn")))
    dead_letter = properties.get("DeadLetterConfig")
    if dead_letter is not None:
        references.append(("DeadLetterConfig", dead_letter))
    destination = properties.get("DestinationConfig")
    if isinstance(destination, dict):
        on_failure = destination.get("OnFailure")
        target = on_failure.get("Destination") if isinstance(on_failure, dict) else on_failure
        references.append(("DestinationConfig/OnFailure/Destination", target))
    for path, value in references:
        if not isinstance(value, str) or value not in kinds:
            problems.append(Problem(f"{where}/{path}", f"must name a component id, got {json.dumps(value)}", subject))


def _check_groups(groups: Any, kinds: dict[str, str], problems: list[Problem]) -> None:
    if not isinstance(groups, list):
        problems.append(Problem("/groups", "must be an array of groups"))
        return
    for index, group in enumerate(groups):
        where = pointer("groups", index)
        if not isinstance(group, dict) or not isinstance(group.get("id"), str):
            problems.append(Problem(where, 'a group must be {"id": ..., "label": ..., "members": [...]}'))
            continue
        members = group.get("members", [])
        if not isinstance(members, list):
            problems.append(Problem(f"{where}/members", "must be an array of component ids", group["id"]))
            continue
        for position, member in enumerate(members):
            if member not in kinds:
                problems.append(Problem(f"{where}/members/{position}",
                                        f"{json.dumps(member)} is not a component id", group["id"]))


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
