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

# "any": any JSON value (a payload template), checked by the field's own checks if at all.
FieldType = Literal["integer", "number", "string", "boolean", "object", "array", "duration", "any"]

_JSON_TYPES: dict[str, str | list[str]] = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
    "duration": ["number", "object"],
    "any": [],
}


# The longest latency a duration field takes (an hour): service latencies are milliseconds to
# minutes; Lambda's own limit is 15 minutes. Also what keeps a lognormal's draws finite.
MAX_DURATION_MS = 3_600_000
# A lognormal's median at least a microsecond: below it the fitted spread overflows a float.
MIN_MEDIAN_MS = 0.001

# How long a run may be, in virtual seconds: arrivals for up to a week, then a drain of up to 30 days,
# longer than any retry schedule the emulator follows plays out (SNS retries a queue or a function
# 100,015 times over 23 days; SQS keeps a message 14 days at most). Times in a run (faults,
# replays) lie within their sum.
MAX_ARRIVALS_S = 604_800
MAX_DRAIN_S = 2_592_000
MAX_RUN_S = MAX_ARRIVALS_S + MAX_DRAIN_S

# Checks that name the part at fault: (JSON pointer below the value, message) pairs.
PartsCheck = Callable[[Any], list[tuple[str, str]]]


@dataclass(frozen=True)
class Field:
    """One property or behavior key: its type, AWS default, valid range and help text.

    An object- or array-valued field declares its shape with nested Fields (``fields``, ``values``,
    ``keys``, ``items``), so the loader checks every part of the value, each problem at its own JSON
    pointer, and ``json_schema`` describes the same shape to the designer's forms.
    """

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
    # Extra checks that locate what they find inside the value (a state machine definition).
    check_parts: PartsCheck | None = None
    # An object's keys; any other key is refused. Without them (and without ``values``) an object
    # is free-form, such as an event pattern that ``check`` validates.
    fields: tuple[Field, ...] = ()
    # An object whose keys are names of the user's choosing (a map): each value's shape ...
    values: Field | None = None
    # ... and the keys' (a string field: pattern, length, check).
    keys: Field | None = None
    # An array's items.
    items: Field | None = None
    # As a key of an object: it must be present.
    required: bool = False
    # null is a valid value (as a key of an object; a top-level field whose default is None
    # takes null as "not set" anyway).
    nullable: bool = False
    # Characters of a string, items of an array, keys of an object.
    min_size: int | None = None
    max_size: int | None = None
    # A string's regular expression (matched as a whole).
    pattern: str | None = None
    # The minimum itself is not valid (a rate above 0).
    exclusive_minimum: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this field, for the designer's generated forms."""
        schema = self._shape_schema()
        schema["description"] = self.help
        if self.default is not None:
            schema["default"] = self.default
        if self.unit is not None:
            schema["x-unit"] = self.unit
        if self.references_component:
            schema["x-references"] = "component"
        if self.nullable:
            schema = {"anyOf": [schema, {"type": "null"}], "description": self.help}
        return schema

    def _shape_schema(self) -> dict[str, Any]:
        if self.type == "duration":
            return _duration_schema(self.maximum if self.maximum is not None else MAX_DURATION_MS)
        if self.type == "any":
            return {}
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.type]}
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        size_keys = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems"),
                     "object": ("minProperties", "maxProperties")}.get(self.type)
        if size_keys is not None:
            for key, size in zip(size_keys, (self.min_size, self.max_size), strict=True):
                if size is not None:
                    schema[key] = size
        if self.pattern is not None:
            schema["pattern"] = f"^(?:{self.pattern})$"
        if self.items is not None:
            schema["items"] = self.items.json_schema()
        if self.fields:
            schema.update(fields_schema(self.fields))
        elif self.values is not None:
            schema["additionalProperties"] = self.values.json_schema()
        if self.keys is not None:
            schema["propertyNames"] = self.keys._shape_schema()
        return schema


def _duration_schema(maximum: float) -> dict[str, Any]:
    """A duration's shapes (emulator.distributions.Duration): a fixed number of milliseconds, or a
    lognormal from its median and 99th percentile. JSON Schema cannot say that p99 is at least
    the median; emulator.values does, and the designer's latency fields repeat its messages
    (values.duration_error)."""
    return {
        "oneOf": [
            {"title": "Fixed", "type": "number", "minimum": 0, "maximum": maximum,
             "description": "Every call takes exactly this long."},
            {
                "title": "Median and p99",
                "type": "object",
                "properties": {
                    "median": {"type": "number", "minimum": MIN_MEDIAN_MS, "maximum": maximum,
                               "description": "Half the calls take less than this."},
                    "p99": {"type": "number", "minimum": MIN_MEDIAN_MS, "maximum": maximum,
                            "description": "99 calls in 100 take less than this (at least the median)."},
                },
                "required": ["median", "p99"],
                "additionalProperties": False,
            },
        ],
        "x-unit": "ms",
    }


def fields_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """A JSON Schema object for a set of fields (required only where a field says so: elsewhere
    AWS defaults apply)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: f.json_schema() for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema


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
