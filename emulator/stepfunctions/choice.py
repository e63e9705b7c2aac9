"""Choice rules in JSONPath mode: the comparison operators and And/Or/Not.

From the States Language's "Choice Rules": a comparison whose value has the wrong type
is false, not an error (``"1"`` is not NumericEquals 1); the ``...Path`` forms compare
with the value another path selects; timestamps are RFC 3339 strings compared as
instants; StringMatches takes ``*`` as the only wildcard (``\\*`` a literal star).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

_MISSING = object()

_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 instant (``2016-03-14T01:59:00Z``), or None when ``value`` is not one."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    fraction = re.search(r"\.(\d+)", text)
    if fraction and len(fraction.group(1)) > 6:
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6])
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: _is_number(a) and _is_number(b) and op(a, b)


def _strings(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: isinstance(a, str) and isinstance(b, str) and op(a, b)


def _times(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        left, right = parse_timestamp(a), parse_timestamp(b)
        return left is not None and right is not None and op(left, right)

    return compare


def _booleans(a: Any, b: Any) -> bool:
    return isinstance(a, bool) and isinstance(b, bool) and a is b


def string_matches(value: Any, pattern: Any) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    regex = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            regex.append(re.escape("*"))
            i += 2
        elif pattern.startswith("\\\\", i):
            regex.append(re.escape("\\"))
            i += 2
        elif pattern[i] == "*":
            regex.append(".*")
            i += 1
        else:
            regex.append(re.escape(pattern[i]))
            i += 1
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": _strings(lambda a, b: a == b),
    "StringLessThan": _strings(lambda a, b: a < b),
    "StringGreaterThan": _strings(lambda a, b: a > b),
    "StringLessThanEquals": _strings(lambda a, b: a <= b),
    "StringGreaterThanEquals": _strings(lambda a, b: a >= b),
    "StringMatches": string_matches,
    "NumericEquals": _numbers(lambda a, b: a == b),
    "NumericLessThan": _numbers(lambda a, b: a < b),
    "NumericGreaterThan": _numbers(lambda a, b: a > b),
    "NumericLessThanEquals": _numbers(lambda a, b: a <= b),
    "NumericGreaterThanEquals": _numbers(lambda a, b: a >= b),
    "BooleanEquals": _booleans,
    "TimestampEquals": _times(lambda a, b: a == b),
    "TimestampLessThan": _times(lambda a, b: a < b),
    "TimestampGreaterThan": _times(lambda a, b: a > b),
    "TimestampLessThanEquals": _times(lambda a, b: a <= b),
    "TimestampGreaterThanEquals": _times(lambda a, b: a >= b),
}

TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}

OPERATORS = (
    frozenset(COMPARISONS)
    | frozenset(name + "Path" for name in COMPARISONS if name != "StringMatches")
    | frozenset(TESTS)
    | {"IsPresent"}
)


def evaluate(rule: dict[str, Any], lookup: Callable[[str], Any]) -> bool:
    """Whether ``rule`` holds; ``lookup(path)`` reads a path or returns MISSING."""
    if "And" in rule:
        return all(evaluate(inner, lookup) for inner in rule["And"])
    if "Or" in rule:
        return any(evaluate(inner, lookup) for inner in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], lookup)
    operator = next(key for key in rule if key in OPERATORS)
    operand = rule[operator]
    value = lookup(rule["Variable"])
    if operator == "IsPresent":
        return (value is not _MISSING) is operand
    if value is _MISSING:
        return False
    if operator in TESTS:
        return TESTS[operator](value) is operand
    if operator.endswith("Path"):
        operand = lookup(operand)
        if operand is _MISSING:
            return False
        operator = operator[:-4]
    return COMPARISONS[operator](value, operand)


MISSING = _MISSING
