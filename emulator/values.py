"""Checking a value against a Field's shape: type, range, enum, size, pattern, nested keys and items.

Shared by the topology and the workload. Every problem is reported at once, each with the JSON
pointer of the exact part at fault. A required key that is missing is reported at the pointer it
would have (its parent object exists), which is where the designer shows it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from emulator.definitions import MAX_DURATION_MS, MIN_MEDIAN_MS, Field
from emulator.problems import pointer

# (JSON pointer, message) pairs.
Found = list[tuple[str, str]]

_PATTERNS: dict[str, re.Pattern[str]] = {}
# Past this many digits an integer is described, not written out (str() refuses very long ones).
_LONGEST_WRITTEN = 40


def shape_problems(field: Field, value: Any, where: str) -> Found:
    """Every way ``value`` does not fit ``field``; messages start with the field's name."""
    if value is None:
        if field.nullable or field.type == "any":
            return []
        return [(where, f"{field.name} {_expected(field)}, got null")]
    error = _type_error(field, value)
    if error is not None:
        return [(where, f"{field.name} {error}")]
    if field.type == "duration":
        return [(where + below, f"{field.name} {message}") for below, message in _duration_problems(field, value)]
    found: Found = []
    error = _enum_error(field, value) or _range_error(field, value) or _size_error(field, value) \
        or _pattern_error(field, value)
    if error is not None:
        found.append((where, f"{field.name} {error}"))
    if isinstance(value, dict):
        found.extend(_object_problems(field, value, where))
    elif isinstance(value, list) and field.items is not None:
        for index, item in enumerate(value):
            found.extend(shape_problems(field.items, item, f"{where}/{index}"))
    if found:
        return found
    if field.check is not None:
        error = field.check(value)
        if error is not None:
            return [(where, f"{field.name} {error}")]
    if field.check_parts is not None:
        return [(where + below, message) for below, message in field.check_parts(value)]
    return []


def references(field: Field, value: Any, where: str) -> list[tuple[str, Any]]:
    """The (pointer, value) of every part of ``value`` that must name a component id."""
    if field.references_component:
        return [(where, value)]
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for child in field.fields:
            if child.name in value:
                found.extend(references(child, value[child.name], where + pointer(child.name)))
    elif isinstance(value, list) and field.items is not None:
        for index, item in enumerate(value):
            found.extend(references(field.items, item, f"{where}/{index}"))
    return found


def _object_problems(field: Field, value: dict[str, Any], where: str) -> Found:
    found: Found = []
    if field.fields:
        by_name = {child.name: child for child in field.fields}
        valid = ", ".join(by_name)
        for key in value:
            if key not in by_name:
                found.append((where + pointer(key), f"unknown {field.name} key {key!r}; valid: {valid}"))
        for child in field.fields:
            if child.name in value:
                found.extend(shape_problems(child, value[child.name], where + pointer(child.name)))
            elif child.required:
                found.append((where + pointer(child.name), f"{field.name} needs {child.name}: {child.help}"))
        return found
    for key, item in value.items():
        here = where + pointer(key)
        if field.keys is not None:
            found.extend((here, message) for _, message in shape_problems(field.keys, key, here))
        if field.values is not None:
            found.extend(shape_problems(field.values, item, here))
    return found


def _type_error(field: Field, value: Any) -> str | None:
    expected = field.type
    if expected == "any":
        return None
    if expected in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{_expected(field)}, got {describe(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {describe(value)}"
        if expected == "integer" and isinstance(value, float) and not value.is_integer():
            return f"{_expected(field)}, got {describe(value)}"
        return None
    if expected == "duration":
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            return f"{_expected(field)}, got {describe(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number of milliseconds, got {describe(value)}"
        return None
    python_type = {"string": str, "boolean": bool, "object": dict, "array": list}[expected]
    return None if isinstance(value, python_type) else f"{_expected(field)}, got {describe(value)}"


def _expected(field: Field) -> str:
    return {
        "integer": "must be an integer",
        "number": "must be a number",
        "string": "must be a string",
        "boolean": "must be true or false",
        "object": "must be an object",
        "array": "must be an array",
        "duration": 'must be milliseconds (a number) or {"median": m, "p99": p}',
        "any": "must be a JSON value",
    }[field.type]


def _enum_error(field: Field, value: Any) -> str | None:
    if field.enum is None or value in field.enum:
        return None
    choices = ", ".join(repr(choice) for choice in field.enum)
    return f"must be one of {choices}, got {describe(value)}"


def _range_error(field: Field, value: Any) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    unit = f" {field.unit}" if field.unit else ""
    low, high = field.minimum, field.maximum
    too_low = low is not None and (value <= low if field.exclusive_minimum else value < low)
    if not too_low and not (high is not None and value > high):
        return None
    lower = f"above {_number(low)}" if field.exclusive_minimum and low is not None else \
        f"at least {_number(low)}" if low is not None else ""
    if low is not None and high is not None:
        bounds = f"between {_number(low)} and {_number(high)}" if not field.exclusive_minimum else \
            f"{lower} and at most {_number(high)}"
    else:
        bounds = lower if low is not None else f"at most {_number(high)}"  # type: ignore[arg-type]
    return f"must be {bounds}{unit}, got {describe(value)}"


def _size_error(field: Field, value: Any) -> str | None:
    if field.min_size is None and field.max_size is None:
        return None
    if isinstance(value, str):
        what = "characters"
    elif isinstance(value, list):
        what = "items"
    elif isinstance(value, dict):
        what = "keys"
    else:
        return None
    size = len(value)
    if field.min_size is not None and size < field.min_size:
        return f"must have at least {field.min_size} {what}, got {size}" if size else \
            f"must not be empty (at least {field.min_size} {what})"
    if field.max_size is not None and size > field.max_size:
        return f"must have at most {field.max_size} {what}, got {size}"
    return None


def _pattern_error(field: Field, value: Any) -> str | None:
    if field.pattern is None or not isinstance(value, str):
        return None
    compiled = _PATTERNS.get(field.pattern)
    if compiled is None:
        compiled = _PATTERNS[field.pattern] = re.compile(f"(?:{field.pattern})")
    if compiled.fullmatch(value):
        return None
    return f"must match {field.pattern}, got {describe(value)}"


def duration_error(value: Any, maximum: float = MAX_DURATION_MS) -> str | None:
    """The first thing wrong with a duration, without a field's name, or None: the message the
    designer's latency fields give as you type (static/designer/durations.js repeats this one,
    tests/js/durations.fixture.json holds the cases both check)."""
    field = Field("duration", "duration", None, "", maximum=maximum)
    error = _expected(field) + ", got null" if value is None else _type_error(field, value)
    if error is not None:
        return error
    found = _duration_problems(field, value)
    return found[0][1] if found else None


def _duration_problems(field: Field, value: Any) -> Found:
    """A duration is milliseconds: a number, or {"median": m, "p99": p} with p >= m > 0."""
    maximum = field.maximum if field.maximum is not None else MAX_DURATION_MS
    if not isinstance(value, dict):
        if value < 0:
            return [("", f"must not be negative, got {describe(value)}")]
        if value > maximum:
            return [("", f"must be at most {_number(maximum)} ms, got {describe(value)}")]
        return []
    found: Found = [(pointer(key), f"has unknown key {key!r}; a duration takes only median and p99")
                    for key in value if key not in ("median", "p99")]
    parts: dict[str, float] = {}
    for name in ("median", "p99"):
        part = value.get(name)
        if isinstance(part, bool) or not isinstance(part, (int, float)) or not math.isfinite(part):
            found.append((pointer(name) if name in value else "",
                          f"needs a number for {name} (milliseconds), got {describe(part)}"))
        elif not MIN_MEDIAN_MS <= part <= maximum:
            found.append((pointer(name), f"{name} must be between {_number(MIN_MEDIAN_MS)} and "
                          f"{_number(maximum)} ms, got {describe(part)}"))
        else:
            parts[name] = float(part)
    if len(parts) == 2 and parts["p99"] < parts["median"]:
        found.append(("/p99", f"p99 ({_number(parts['p99'])} ms) must not be below the median "
                      f"({_number(parts['median'])} ms)"))
    return found


def _number(value: int | float) -> str:
    # Whole numbers in full, whether they come as 30 or 30.0 (the compiled build reads a Field's
    # bounds as floats): the two builds word a message alike.
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 1e15):
        return f"{value:g}"
    return str(int(value))


def describe(value: Any) -> str:
    """A value as a message names it: null, true, the string 'x', an object, 12."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value[:60]!r}" + ("..." if len(value) > 60 else "")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int) and value.bit_length() > _LONGEST_WRITTEN * 3:
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return _number(value)
    return repr(value)
