"""JSONPath as Step Functions reads it: Paths, Reference Paths and the `.$` field values.

AWS evaluates paths with Jayway JsonPath: ``$.a.b``, ``$['a']``, ``$.a[0]``, ``$.a[-1]``,
``$.a[*]``, ``$.a[0:2]``, ``$..a``, ``$.a[?(@.b > 1)]`` and ``$.a.length()``. A definite
path (names and indexes only) gives one value; any wildcard, slice, filter or descent
gives a list. A Reference Path (ResultPath) must be definite. Messages for paths that
find nothing are Jayway's, which AWS passes through in its States.Runtime causes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class PathError(Exception):
    """A path that could not be evaluated; ``missing`` when it simply found nothing."""

    def __init__(self, message: str, *, missing: bool = True) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # "name", "index", "wild", "slice", "filter", "descend", "length"
    value: Any = None


_NAME = re.compile(r"[^.\[\]()\s]+")
_FILTER_CMP = re.compile(r"^\s*@((?:\.[A-Za-z0-9_$-]+|\['[^']*'\])*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
_FILTER_EXISTS = re.compile(r"^\s*@((?:\.[A-Za-z0-9_$-]+|\['[^']*'\])+)\s*$")


def parse(path: str) -> tuple[Step, ...]:
    """The steps of ``path`` (which starts with ``$``); raises PathError when it is malformed."""
    cached = _CACHE.get(path)
    if cached is not None:
        return cached
    if not path.startswith("$"):
        raise PathError(f"Illegal path '{path}': it must start with '$'", missing=False)
    steps: list[Step] = []
    i, n = 1, len(path)
    while i < n:
        char = path[i]
        if path.startswith("..", i):
            i += 2
            match = _NAME.match(path, i)
            steps.append(Step("descend"))
            if match and path[i] != "[":
                name = match.group()
                steps.append(Step("wild") if name == "*" else Step("name", name))
                i = match.end()
        elif char == ".":
            i += 1
            if path.startswith("length()", i) and i + 8 == n:
                steps.append(Step("length"))
                i = n
                continue
            match = _NAME.match(path, i)
            if not match:
                raise PathError(f"Illegal path '{path}': a name must follow '.' at {i}", missing=False)
            name = match.group()
            steps.append(Step("wild") if name == "*" else Step("name", name))
            i = match.end()
        elif char == "[":
            close = _bracket_end(path, i)
            steps.append(_bracket(path, path[i + 1 : close]))
            i = close + 1
        else:
            raise PathError(f"Illegal character '{char}' in path '{path}' at {i}", missing=False)
    result = tuple(steps)
    if len(_CACHE) < 4096:
        _CACHE[path] = result
    return result


_CACHE: dict[str, tuple[Step, ...]] = {}


def _bracket_end(path: str, start: int) -> int:
    quote = None
    depth = 0
    for j in range(start, len(path)):
        char = path[j]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return j
    raise PathError(f"Illegal path '{path}': '[' at {start} is never closed", missing=False)


def _bracket(path: str, inner: str) -> Step:
    inner = inner.strip()
    if inner == "*":
        return Step("wild")
    if inner.startswith("?(") and inner.endswith(")"):
        return Step("filter", _compile_filter(path, inner[2:-1]))
    if inner[:1] in "'\"":
        names = [part.strip()[1:-1] for part in inner.split(",")]
        return Step("name", names[0]) if len(names) == 1 else Step("names", tuple(names))
    if ":" in inner:
        parts = [p.strip() for p in inner.split(":")]
        try:
            bounds = tuple(int(p) if p else None for p in parts[:3])
        except ValueError:
            raise PathError(f"Illegal slice '[{inner}]' in path '{path}'", missing=False) from None
        return Step("slice", bounds)
    try:
        indexes = tuple(int(p) for p in inner.split(","))
    except ValueError:
        raise PathError(f"Illegal index '[{inner}]' in path '{path}'", missing=False) from None
    return Step("index", indexes[0]) if len(indexes) == 1 else Step("indexes", indexes)


def _compile_filter(path: str, expression: str) -> Callable[[Any], bool]:
    exists = _FILTER_EXISTS.match(expression)
    if exists:
        steps = parse("$" + exists.group(1))

        def has(item: Any) -> bool:
            try:
                _walk_definite(item, steps)
            except PathError:
                return False
            return True

        return has
    match = _FILTER_CMP.match(expression)
    if not match:
        raise PathError(f"Unsupported filter '?({expression})' in path '{path}'", missing=False)
    steps, op, literal = parse("$" + match.group(1)), match.group(2), match.group(3)
    if literal[:1] == "'" and literal[-1:] == "'":
        expected: Any = literal[1:-1]
    else:
        try:
            expected = json.loads(literal)
        except ValueError:
            raise PathError(f"Unsupported filter value '{literal}' in path '{path}'", missing=False) from None

    def compare(item: Any) -> bool:
        try:
            value = _walk_definite(item, steps)
        except PathError:
            return False
        if op == "==":
            return bool((value == expected and type(value) is not bool) or value is expected)
        if op == "!=":
            return bool(value != expected)
        numbers = (int, float)
        if isinstance(value, bool) or isinstance(expected, bool):
            return False
        if not (isinstance(value, numbers) and isinstance(expected, numbers)) and not (
            isinstance(value, str) and isinstance(expected, str)
        ):
            return False
        left: Any = value
        right: Any = expected
        return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])

    return compare


def is_definite(steps: tuple[Step, ...]) -> bool:
    return all(step.kind in ("name", "index", "length") for step in steps)


def _render(steps: tuple[Step, ...], upto: int) -> str:
    out = "$"
    for step in steps[:upto]:
        out += f"['{step.value}']" if step.kind == "name" else f"[{step.value}]"
    return out


def _walk_definite(document: Any, steps: tuple[Step, ...]) -> Any:
    node = document
    last = len(steps) - 1
    for position, step in enumerate(steps):
        kind = step.kind
        if kind == "name":
            if not isinstance(node, dict):
                raise PathError(f"Expected to find an object with property {_render(steps, position + 1)[1:]} in "
                                f"path {_render(steps, position)} but found '{_type_name(node)}'. This is not a json "
                                "object according to the JsonProvider: "
                                "'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.")
            if step.value not in node:
                if position == last:
                    raise PathError(f"No results for path: {_render(steps, position + 1)}")
                raise PathError(f"Missing property in path {_render(steps, position + 1)}")
            node = node[step.value]
        elif kind == "index":
            if not isinstance(node, list):
                raise PathError(f"Filter: [{step.value}] can only be applied to arrays. Current context is: "
                                f"{json.dumps(node, separators=(',', ':'))}")
            index = step.value
            if not -len(node) <= index < len(node):
                raise PathError(f"Index out of bounds when evaluating path {_render(steps, position + 1)}")
            node = node[index]
        else:  # length()
            if not isinstance(node, (list, dict, str)):
                raise PathError(f"Invalid function call length() on {_type_name(node)}")
            node = len(node)
    return node


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    return "net.minidev.json.JSONArray" if isinstance(value, list) else "java.util.LinkedHashMap"


def _walk_all(nodes: list[Any], steps: tuple[Step, ...]) -> list[Any]:
    for step in steps:
        kind = step.kind
        found: list[Any] = []
        for node in nodes:
            if kind == "name":
                if isinstance(node, dict) and step.value in node:
                    found.append(node[step.value])
            elif kind == "names":
                if isinstance(node, dict):
                    found.extend(node[name] for name in step.value if name in node)
            elif kind == "index":
                if isinstance(node, list) and -len(node) <= step.value < len(node):
                    found.append(node[step.value])
            elif kind == "indexes":
                if isinstance(node, list):
                    found.extend(node[i] for i in step.value if -len(node) <= i < len(node))
            elif kind == "wild":
                if isinstance(node, list):
                    found.extend(node)
                elif isinstance(node, dict):
                    found.extend(node.values())
            elif kind == "slice":
                if isinstance(node, list):
                    bounds: tuple[int | None, ...] = step.value
                    step_by = bounds[2] if len(bounds) > 2 and bounds[2] else None
                    found.extend(node[slice(bounds[0], bounds[1], step_by)])
            elif kind == "filter":
                if isinstance(node, list):
                    found.extend(item for item in node if step.value(item))
                elif isinstance(node, dict):
                    found.extend(item for item in node.values() if step.value(item))
            elif kind == "descend":
                found.extend(_descendants(node))
            elif kind == "length" and isinstance(node, (list, dict, str)):
                found.append(len(node))
        nodes = found
    return nodes


def _descendants(node: Any) -> list[Any]:
    out = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        out.extend(_descendants(child))
    return out


def evaluate(path: str, document: Any) -> Any:
    """The value ``path`` selects in ``document``: one value for a definite path, else a list.

    Raises PathError when a definite path finds nothing.
    """
    steps = parse(path)
    if not steps:
        return document
    definite = _DEFINITE.get(steps)
    if definite is None:
        definite = is_definite(steps)
        if len(_DEFINITE) < 4096:
            _DEFINITE[steps] = definite
    if definite:
        return _walk_definite(document, steps)
    return _walk_all([document], steps)


_DEFINITE: dict[tuple[Step, ...], bool] = {}


def assign(document: Any, path: str, value: Any) -> Any:
    """``document`` with ``value`` placed at the Reference Path ``path`` (ResultPath's rule).

    ``$`` replaces the whole document; missing objects on the way are created, and a
    document that is not an object at ``$`` is replaced by one.
    """
    steps = parse(path)
    if not steps:
        return value
    if not all(step.kind in ("name", "index") for step in steps):
        raise PathError(f"Invalid Reference Path '{path}': it must name a single node", missing=False)
    root = _copy(document) if isinstance(document, (dict, list)) else {}
    node = root
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        if step.kind == "name":
            if not isinstance(node, dict):
                raise PathError(f"Unable to set the path {path}: {_render(steps, position)} is not an object",
                                missing=False)
            if last:
                node[step.value] = value
            else:
                child = node.get(step.value)
                child = _copy(child) if isinstance(child, (dict, list)) else {}
                node[step.value] = child
                node = child
        else:
            if not isinstance(node, list) or not -len(node) <= step.value < len(node):
                raise PathError(f"Unable to set the path {path}: index {step.value} is out of bounds", missing=False)
            if last:
                node[step.value] = value
            else:
                child = _copy(node[step.value]) if isinstance(node[step.value], (dict, list)) else {}
                node[step.value] = child
                node = child
    return root


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value
