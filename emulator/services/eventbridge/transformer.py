"""EventBridge input transformers: InputPathsMap variables substituted into an InputTemplate.

The rules are the package docstring's ("Amazon EventBridge input transformation"). A template is
cut into pieces once, when the run starts: literal text, and variables with whether they sit
inside a JSON string (between quotes) or stand as a JSON value, since that decides how a value
is written into the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
RESERVED = (RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON)
MAX_VARIABLES = 100

_VARIABLE = re.compile(r"<([A-Za-z0-9_.\-]+)>")
# $, then .name (letters, digits, _, -, /) or [index] steps: the JSONPath subset EventBridge evaluates.
_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+)|\[(\d+)\]")
_MISSING = object()


def parse_path(path: str) -> list[str | int]:
    """The steps of a JSONPath such as ``$.detail.items[0].sku``; ValueError when it is not one."""
    if not path.startswith("$"):
        raise ValueError("must start with $")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"has an unsupported step at {path[position:]!r}: use .name and [index] steps")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    return steps


class InputTransformer:
    """A compiled InputTransformer: ``apply(event, ...)`` gives what the target receives."""

    __slots__ = ("paths", "pieces")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.paths = {name: parse_path(path) for name, path in (spec.get("InputPathsMap") or {}).items()}
        self.pieces = _pieces(str(spec["InputTemplate"]), set(self.paths) | set(RESERVED))

    def apply(self, event: Mapping[str, Any], rule_name: str, rule_arn: str) -> Any:
        """The transformed input: a JSON object or array when the text is one, else the text as it is
        (a quoted template reaches an SQS queue with its quotes, as it does on AWS)."""
        parts: list[str] = []
        for literal, variable, quoted in self.pieces:
            if variable is None:
                parts.append(literal)
                continue
            value = self._value(variable, event, rule_name, rule_arn)
            parts.append(_written(value, quoted))
        text = "".join(parts)
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if isinstance(parsed, (dict, list)) else text

    def _value(self, variable: str, event: Mapping[str, Any], rule_name: str, rule_arn: str) -> Any:
        if variable == RULE_NAME:
            return rule_name
        if variable == RULE_ARN:
            return rule_arn
        if variable == INGESTION_TIME:
            return event.get("time")
        if variable == EVENT:
            return {key: value for key, value in event.items() if key != "detail"}
        if variable == EVENT_JSON:
            return dict(event)
        return _resolve(event, self.paths[variable])


def _pieces(template: str, known: set[str]) -> list[tuple[str, str | None, bool]]:
    """(literal, None, _) and ("", variable, inside a JSON string) pieces, in order."""
    pieces: list[tuple[str, str | None, bool]] = []
    quoted = False
    escaped = False
    literal: list[str] = []
    position = 0
    while position < len(template):
        character = template[position]
        if character == "<" and not escaped:
            match = _VARIABLE.match(template, position)
            if match is not None and match.group(1) in known:
                pieces.append(("".join(literal), None, False))
                literal = []
                pieces.append(("", match.group(1), quoted))
                position = match.end()
                continue
        literal.append(character)
        if escaped:
            escaped = False
        elif character == "\\" and quoted:
            escaped = True
        elif character == '"':
            quoted = not quoted
        position += 1
    pieces.append(("".join(literal), None, False))
    return [piece for piece in pieces if piece[0] or piece[1] is not None]


def _resolve(document: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(document, list) or step >= len(document):
                return _MISSING
            document = document[step]
        else:
            if not isinstance(document, Mapping) or step not in document:
                return _MISSING
            document = document[step]
    return document


def _written(value: Any, quoted: bool) -> str:
    """A value as the template's text takes it: inside quotes a string's characters (escaped), any
    other value its JSON text (escaped); outside quotes its JSON; a path that is not there, nothing
    inside quotes and null outside."""
    if value is _MISSING:
        return "" if quoted else "null"
    if not quoted:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False)[1:-1]
