"""Checking a value against a Field: type, range, enum. Shared by topology and workload."""

from __future__ import annotations

from typing import Any

from emulator.definitions import Field


def type_error(field: Field, value: Any) -> str | None:
    """Why ``value`` does not fit ``field``, or None when it does."""
    expected = field.type
    if expected == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return _range_error(field, value)
            return f"must be an integer, got {_describe(value)}"
    elif expected == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number, got {_describe(value)}"
    elif expected == "string":
        if not isinstance(value, str):
            return f"must be a string, got {_describe(value)}"
    elif expected == "boolean":
        if not isinstance(value, bool):
            return f"must be true or false, got {_describe(value)}"
    elif expected == "object":
        if not isinstance(value, dict):
            return f"must be an object, got {_describe(value)}"
    elif expected == "array":
        if not isinstance(value, list):
            return f"must be an array, got {_describe(value)}"
    elif expected == "duration":
        return duration_error(value)
    if field.enum is not None and value not in field.enum:
        choices = ", ".join(repr(v) for v in field.enum)
        return f"must be one of {choices}, got {value!r}"
    error = _range_error(field, value)
    if error is None and field.check is not None:
        error = field.check(value)
    return error


def _range_error(field: Field, value: Any) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    unit = f" {field.unit}" if field.unit else ""
    low, high = field.minimum, field.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"must be between {_number(low)} and {_number(high)}{unit}, got {_number(value)}"
        if low is not None:
            return f"must be at least {_number(low)}{unit}, got {_number(value)}"
        return f"must be at most {_number(high)}{unit}, got {_number(value)}"  # type: ignore[arg-type]
    return None


def duration_error(value: Any) -> str | None:
    """A duration is milliseconds: a number, or {"median": m, "p99": p} with p >= m > 0."""
    if isinstance(value, bool):
        return f"must be milliseconds (a number) or {{\"median\": m, \"p99\": p}}, got {_describe(value)}"
    if isinstance(value, (int, float)):
        return None if value >= 0 else f"must not be negative, got {_number(value)}"
    if isinstance(value, dict):
        extra = sorted(set(value) - {"median", "p99"})
        if extra:
            return f"has unknown key(s) {', '.join(extra)}; a duration takes only median and p99"
        median, p99 = value.get("median"), value.get("p99")
        for name, part in (("median", median), ("p99", p99)):
            if isinstance(part, bool) or not isinstance(part, (int, float)):
                return f"needs a number for {name} (milliseconds), got {_describe(part)}"
        assert isinstance(median, (int, float)) and isinstance(p99, (int, float))
        if median <= 0:
            return f"median must be above 0 ms, got {_number(median)}"
        if p99 < median:
            return f"p99 ({_number(p99)} ms) must not be below the median ({_number(median)} ms)"
        return None
    return f"must be milliseconds (a number) or {{\"median\": m, \"p99\": p}}, got {_describe(value)}"


def _number(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return repr(value)
