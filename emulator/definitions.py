"""Declarative definitions of kinds, roles and their fields: the one source of truth.

The topology loader validates against these, the simulation reads defaults from them,
and the web designer's catalog (JSON Schema per kind and role) is generated from them.
Property names, units, defaults and ranges are AWS's (CloudFormation); behavior fields
are Wiretap's and document what the emulator needs that CloudFormation does not say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from emulator.services.base import Component

FieldType = Literal["integer", "number", "string", "boolean", "object", "array", "duration"]

_JSON_TYPES: dict[str, str | list[str]] = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
    "duration": ["number", "object"],
}


@dataclass(frozen=True)
class Field:
    """One property or behavior key: its type, AWS default, valid range and help text."""

    name: str
    type: FieldType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[Any, ...] | None = None
    unit: str | None = None
    # A field whose value another component id must name (a DLQ, a destination).
    references_component: bool = False
    # Extra checks beyond type and range: return an error message or None.
    check: Callable[[Any], str | None] | None = None

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this field, for the designer's generated forms."""
        if self.type == "duration":
            return _duration_schema(self.help, self.default)
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.type], "description": self.help}
        if self.default is not None:
            schema["default"] = self.default
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.unit is not None:
            schema["x-unit"] = self.unit
        if self.references_component:
            schema["x-references"] = "component"
        return schema


def _duration_schema(description: str, default: Any) -> dict[str, Any]:
    """A duration's shapes (emulator.distributions.Duration): a fixed number of milliseconds, or a
    lognormal from its median and 99th percentile. JSON Schema cannot say that p99 is at least
    the median; emulator.values.duration_error does, and the designer repeats it."""
    return {
        "description": description,
        "default": default,
        "oneOf": [
            {"title": "Fixed", "type": "number", "minimum": 0,
             "description": "Every call takes exactly this long."},
            {
                "title": "Median and p99",
                "type": "object",
                "properties": {
                    "median": {"type": "number", "exclusiveMinimum": 0,
                               "description": "Half the calls take less than this."},
                    "p99": {"type": "number", "exclusiveMinimum": 0,
                            "description": "99 calls in 100 take less than this (at least the median)."},
                },
                "required": ["median", "p99"],
                "additionalProperties": False,
            },
        ],
        "x-unit": "ms",
    }


def fields_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """A JSON Schema object for a set of fields (no required keys: AWS defaults apply)."""
    return {
        "type": "object",
        "properties": {f.name: f.json_schema() for f in fields},
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Kind:
    """A kind of component: an AWS resource type (or an outside party) the emulator runs."""

    name: str
    title: str
    cloudformation_type: str | None
    description: str
    runtime: Callable[..., Component]
    properties: tuple[Field, ...] = ()
    behavior: tuple[Field, ...] = ()
    # Can a workload send messages straight to it?
    entry_point: bool = False
    # The X-Ray segment origin for its segments.
    origin: str = ""
    # Checks across fields and connections (a FIFO queue redriving to a standard one...):
    # called with the component's spec and the whole topology, returns Problems.
    check: Callable[..., list[Any]] | None = None

    def property(self, name: str) -> Field | None:
        return next((f for f in self.properties if f.name == name), None)

    def behavior_field(self, name: str) -> Field | None:
        return next((f for f in self.behavior if f.name == name), None)

    def defaults(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The AWS default properties and the default behavior."""
        return (
            {f.name: f.default for f in self.properties},
            {f.name: f.default for f in self.behavior},
        )


@dataclass(frozen=True)
class Role:
    """A connection role: what a connection means, and between which kinds it is valid."""

    name: str
    description: str
    pairs: frozenset[tuple[str, str]]
    properties: tuple[Field, ...] = ()
    # Properties that only make sense between some pairs: name -> pairs where allowed.
    property_pairs: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    def allows(self, source_kind: str, target_kind: str) -> bool:
        return (source_kind, target_kind) in self.pairs

    def property(self, name: str) -> Field | None:
        return next((f for f in self.properties if f.name == name), None)
