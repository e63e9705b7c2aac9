"""One field's value list in AWS's rule language: exact values and the match operators.

EventBridge event patterns and SNS filter policies share this language (AWS's open-source
*event-ruler* library implements it), so each operator, its validation and AWS's error text live
here once. The rules come from the EventBridge User Guide, "Content filtering in Amazon EventBridge
event patterns" (prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr)
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
and the SNS Developer Guide, "String value matching", "Numeric value matching", "Key matching" and
"IP address matching" https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html; the
event-ruler README (https://github.com/aws/event-ruler) adds the wildcard complexity limit.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ValueTest = Callable[[object], bool]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)
# The most wildcard-pattern states one input may keep alive at once before AWS refuses the rule.
WILDCARD_COMPLEXITY_LIMIT = 10


class InvalidPatternError(ValueError):
    """A pattern or filter policy AWS would refuse; ``str(error)`` is AWS's reason text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Dialect:
    """The parts of the rule language a service accepts."""

    match_types: frozenset[str]
    anything_but_forms: frozenset[str]
    affix_ignore_case: bool  # prefix/suffix may wrap {"equals-ignore-case": ...}
    scalar_values: bool  # "key": "value" is shorthand for "key": ["value"]
    nested: bool  # objects may nest keys
    ip_literals: bool  # an exact IP string matches any spelling of that address


@dataclass(slots=True)
class FieldTest:
    """One pattern field: its list of values, any of which may match (OR)."""

    strings: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    literals: set[bool | None] = field(default_factory=set)
    tests: list[ValueTest] = field(default_factory=list)
    exists: bool = False
    absent: bool = False  # {"exists": false}: matches when the field has no value
    wildcards: list[str] = field(default_factory=list)
    count: int = 0  # how many values the list holds (SNS's combination limit counts them)

    def accepts(self, value: object) -> bool:
        """Whether one leaf value matches any value of the list."""
        if self.exists:
            return True
        if isinstance(value, str):
            if value in self.strings:
                return True
        elif value is None or isinstance(value, bool):
            if value in self.literals:
                return True
        elif isinstance(value, (int, float)) and value in self.numbers:
            return True
        return any(test(value) for test in self.tests)


def is_number(value: object) -> bool:
    """JSON numbers only: Python's bool is an int, but JSON's true is not a number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_text(value: object) -> str:
    """How AWS quotes an offending JSON token in an error."""
    if isinstance(value, list):
        return "["
    if isinstance(value, Mapping):
        return "{"
    return value if isinstance(value, str) else json.dumps(value)


# --- value lists and operators -----------------------------------------------------------------


def compile_field(values: Sequence[object], dialect: Dialect) -> FieldTest:
    """Compile one field's value list: exact values and operator objects, OR'd together."""
    if not values:
        raise InvalidPatternError("Empty arrays are not allowed")
    test = FieldTest(count=len(values))
    for value in values:
        if isinstance(value, Mapping):
            _add_operator(test, value, dialect)
        elif isinstance(value, str):
            _add_exact_string(test, value, dialect)
        elif value is None or isinstance(value, bool):
            test.literals.add(value)
        elif is_number(value):
            assert isinstance(value, (int, float))
            test.numbers.add(value)  # a set of numbers compares numerically: 300 == 300.0
        else:
            raise InvalidPatternError("Match value must be String, number, true, false, or null")
    return test


def _add_exact_string(test: FieldTest, value: str, dialect: Dialect) -> None:
    test.strings.add(value)
    if dialect.ip_literals and looks_like_ip(value):
        address = _event_ip(value)
        if address is not None:
            # event-ruler stores an IP literal as an address range, so "::1" also matches "0::1".
            test.tests.append(lambda seen: isinstance(seen, str) and _event_ip(seen) == address)


def _add_operator(test: FieldTest, expression: Mapping[str, Any], dialect: Dialect) -> None:
    if not expression:
        raise InvalidPatternError("Match expression name not found")
    name, operand = next(iter(expression.items()))
    if name not in dialect.match_types:
        raise InvalidPatternError(f"Unrecognized match type {name}")
    _OPERATORS[name](test, operand, dialect)
    if len(expression) > 1:
        # event-ruler reports a second key after numeric and anything-but with the numeric text.
        if name in ("numeric", "anything-but"):
            raise InvalidPatternError("Too many elements in numeric expression")
        raise InvalidPatternError("Only one key allowed in match expression")


def _prefix(test: FieldTest, operand: object, dialect: Dialect) -> None:
    test.tests.append(_affix_test("prefix", operand, dialect))


def _suffix(test: FieldTest, operand: object, dialect: Dialect) -> None:
    test.tests.append(_affix_test("suffix", operand, dialect))


def _affix_test(kind: str, operand: object, dialect: Dialect) -> ValueTest:
    ignore_case = False
    if dialect.affix_ignore_case and isinstance(operand, Mapping) and list(operand) == ["equals-ignore-case"]:
        operand, ignore_case = operand["equals-ignore-case"], True
        if not isinstance(operand, str):
            raise InvalidPatternError("equals-ignore-case match pattern must be a string")
    if not isinstance(operand, str):
        raise InvalidPatternError(f"{kind} match pattern must be a string")
    return affix_test(kind, operand, ignore_case)


def affix_test(kind: str, text: str, ignore_case: bool = False) -> ValueTest:
    """Prefix and suffix only ever match strings (EventBridge "Prefix matching")."""
    wanted = text.lower() if ignore_case else text

    def test(value: object) -> bool:
        if not isinstance(value, str):
            return False
        seen = value.lower() if ignore_case else value
        return seen.startswith(wanted) if kind == "prefix" else seen.endswith(wanted)

    return test


def _equals_ignore_case(test: FieldTest, operand: object, dialect: Dialect) -> None:
    if not isinstance(operand, str):
        raise InvalidPatternError("equals-ignore-case match pattern must be a string")
    test.tests.append(ignore_case_test({operand.lower()}))


def ignore_case_test(folded: set[str]) -> ValueTest:
    """Strings equal to one of ``folded`` (already lower-cased) whatever their case."""
    return lambda value: isinstance(value, str) and value.lower() in folded


def _wildcard(test: FieldTest, operand: object, dialect: Dialect) -> None:
    if not isinstance(operand, str):
        raise InvalidPatternError("wildcard match pattern must be a string")
    test.wildcards.append(operand)
    test.tests.append(wildcard_test(operand))


def _exists(test: FieldTest, operand: object, dialect: Dialect) -> None:
    if not isinstance(operand, bool):
        raise InvalidPatternError("exists match pattern must be either true or false.")
    if operand:
        test.exists = True
    else:
        test.absent = True


def _numeric(test: FieldTest, operand: object, dialect: Dialect) -> None:
    test.tests.append(numeric_test(operand))


def _cidr(test: FieldTest, operand: object, dialect: Dialect) -> None:
    if not isinstance(operand, str):
        # AWS really does name "prefix" here: its CIDR parser shares the prefix check.
        raise InvalidPatternError("prefix match pattern must be a string")
    test.tests.append(cidr_test(operand))


def _anything_but(test: FieldTest, operand: object, dialect: Dialect) -> None:
    excluded = _excluded_by(test, operand, dialect)
    # Any value that is present and not excluded matches, null and numbers included.
    test.tests.append(lambda value: not excluded(value))


_OPERATORS: dict[str, Callable[[FieldTest, object, Dialect], None]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "exists": _exists,
    "numeric": _numeric,
    "cidr": _cidr,
    "anything-but": _anything_but,
}

# --- anything-but ------------------------------------------------------------------------------

_ANYTHING_BUT_SHAPE = "Value of anything-but must be an array or single string/number value."


def _excluded_by(test: FieldTest, operand: object, dialect: Dialect) -> ValueTest:
    if isinstance(operand, Mapping):
        return _excluded_by_form(test, operand, dialect)
    if isinstance(operand, list):
        return _excluded_values(operand)
    if isinstance(operand, str) or is_number(operand):
        return _excluded_values([operand])
    raise InvalidPatternError(_ANYTHING_BUT_SHAPE)


def _excluded_values(values: Sequence[object]) -> ValueTest:
    strings: set[str] = set()
    numbers: set[float] = set()
    for value in values:
        if isinstance(value, str):
            strings.add(value)
        elif is_number(value):
            assert isinstance(value, (int, float))
            numbers.add(value)
        else:
            raise InvalidPatternError("Inside anything but list, start|null|boolean is not supported.")
    if bool(strings) == bool(numbers):
        raise InvalidPatternError(
            "Inside anything but list, either all values are number or string, mixed type is not supported"
        )
    # Strings only exclude strings and numbers only numbers: "101" does not exclude 101.
    return lambda value: value in strings if isinstance(value, str) else is_number(value) and value in numbers


def _excluded_by_form(test: FieldTest, operand: Mapping[str, Any], dialect: Dialect) -> ValueTest:
    if not operand:
        raise InvalidPatternError("Anything-But expression name not found")
    form, inner = next(iter(operand.items()))
    if form not in dialect.anything_but_forms:
        raise InvalidPatternError(f"Unsupported anything-but pattern: {form}")
    if len(operand) > 1:
        raise InvalidPatternError("Only one key allowed in match expression")
    if form == "equals-ignore-case":
        message = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
        return ignore_case_test({text.lower() for text in _strings(inner, message)})
    if form == "wildcard":
        patterns = _strings(inner, "wildcard match pattern must be a string")
        test.wildcards.extend(patterns)
        tests = [wildcard_test(pattern) for pattern in patterns]
        return lambda value: any(matches(value) for matches in tests)
    texts = _strings(inner, "prefix/suffix match pattern must be a string")
    if "" in texts:
        raise InvalidPatternError("Null prefix/suffix not allowed")
    tests = [affix_test(form, text) for text in texts]
    return lambda value: any(matches(value) for matches in tests)


def _strings(operand: object, message: str) -> list[str]:
    """One string or a list of strings, as the anything-but forms take them."""
    if isinstance(operand, Mapping):
        raise InvalidPatternError(_ANYTHING_BUT_SHAPE)
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise InvalidPatternError("Empty arrays are not allowed")
    if not all(isinstance(value, str) for value in values):
        raise InvalidPatternError(message)
    return [str(value) for value in values]


# --- numeric -----------------------------------------------------------------------------------

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def numeric_test(terms: object) -> ValueTest:
    """``["<", 10]`` or a range ``[">", 0, "<=", 5]``; matches JSON numbers only."""
    comparisons = numeric_comparisons(terms)

    def test(value: object) -> bool:
        return is_number(value) and all(compare(value, bound) for compare, bound in comparisons)

    return test


def numeric_comparisons(terms: object) -> list[tuple[Callable[[Any, Any], bool], float]]:
    """Validate a numeric expression the way AWS does and return its comparisons."""
    if not isinstance(terms, list):
        raise InvalidPatternError("Value of numeric must be an array.")
    if not terms or not isinstance(terms[0], str):
        raise InvalidPatternError(f"Invalid member in numeric match: {json_text(terms[0]) if terms else ']'}")
    first = terms[0]
    if first not in _COMPARISONS:
        raise InvalidPatternError(f"Unrecognized numeric range operator: {first}")
    bound = _bound(terms, 1, "equals" if first == "=" else first)
    if len(terms) == 2:
        return [(_COMPARISONS[first], bound)]
    if first not in (">", ">="):
        # Only a lower bound may be followed by an upper bound.
        raise InvalidPatternError("Too many elements in numeric expression")
    return [(_COMPARISONS[first], bound), _upper_bound(terms, bound)]


def _upper_bound(terms: list[Any], lower: float) -> tuple[Callable[[Any, Any], bool], float]:
    second = terms[2]
    if not isinstance(second, str):
        raise InvalidPatternError(f"Bad value in numeric range: {json_text(second)}")
    if second not in ("<", "<="):
        raise InvalidPatternError(f"Bad numeric range operator: {second}")
    upper = _bound(terms, 3, second)
    if len(terms) > 4:
        raise InvalidPatternError("Too many terms in numeric range expression")
    if upper <= lower:
        raise InvalidPatternError("Bottom must be less than top")
    return _COMPARISONS[second], upper


def _bound(terms: list[Any], index: int, label: str) -> float:
    if len(terms) <= index or not is_number(terms[index]):
        raise InvalidPatternError(f"Value of {label} must be numeric")
    return float(terms[index])


# --- cidr and IP addresses ---------------------------------------------------------------------

# The shapes AWS tries to read as an IP address; anything else is "Nonstandard".
_IPV4_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_SHAPE = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK_BITS = re.compile(r"[+-]?[0-9]+")


def looks_like_ip(text: str) -> bool:
    return bool(_IPV4_SHAPE.fullmatch(text) or _IPV6_SHAPE.fullmatch(text))


@functools.lru_cache(maxsize=4096)
def _event_ip(text: str) -> IPAddress | None:
    # Cached: the same source addresses recur across the events of a run.
    if not looks_like_ip(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def cidr_test(cidr: str) -> ValueTest:
    """Strings holding an IPv4 or IPv6 address inside the block (EventBridge "IP address matching")."""
    version, low, high = cidr_range(cidr)

    def test(value: object) -> bool:
        address = _event_ip(value) if isinstance(value, str) else None
        return address is not None and address.version == version and low <= int(address) <= high

    return test


def cidr_range(cidr: str) -> tuple[int, int, int]:
    """Validate a CIDR block the way AWS does; return (IP version, lowest, highest address)."""
    parts = cidr.split("/")
    while parts and not parts[-1]:
        parts.pop()  # AWS's parser drops trailing empty parts: "10.0.0.0/" has no mask at all
    if len(parts) != 2:
        raise InvalidPatternError("Malformed CIDR, one '/' required")
    text, mask = parts
    if not _MASK_BITS.fullmatch(mask):
        raise InvalidPatternError("Malformed CIDR, mask bits must be an integer")
    bits = int(mask)
    if bits < 0:
        raise InvalidPatternError("Malformed CIDR, mask bits must not be negative")
    if not looks_like_ip(text):
        raise InvalidPatternError(f"Nonstandard IP address: {text}")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidPatternError(f"Invalid IP address: {text}") from None
    width = address.max_prefixlen
    if bits >= width:
        raise InvalidPatternError(f"IPv{address.version} mask bits must be < {width}")
    # AWS keeps the given address as the low end (no masking) and sets the host bits for the high.
    low = int(address)
    return address.version, low, low | ((1 << (width - bits)) - 1)


# --- wildcard ----------------------------------------------------------------------------------

WildcardToken = str | None  # None stands for "*"


def parse_wildcard(pattern: str) -> tuple[WildcardToken, ...]:
    """Split a wildcard pattern into characters and stars; ``\\*`` and ``\\\\`` escape."""
    tokens: list[WildcardToken] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        following = pattern[index + 1] if index + 1 < len(pattern) else ""
        if char == "*" and following == "*":
            raise InvalidPatternError(f"Consecutive wildcard characters at pos {_position(pattern, index)}")
        if char == "\\":
            if following not in ("*", "\\") or not following:
                raise InvalidPatternError(f"Invalid escape character at pos {_position(pattern, index)}")
            tokens.append(following)
            index += 2
            continue
        tokens.append(None if char == "*" else char)
        index += 1
    return tuple(tokens)


def _position(pattern: str, index: int) -> int:
    # AWS counts UTF-8 bytes of the value in its quoted form, so the first character is at 1.
    return 1 + len(pattern[:index].encode("utf-8"))


def wildcard_test(pattern: str) -> ValueTest:
    """Strings the whole of which the pattern matches; "*" matches any run of characters."""
    source = "".join(".*" if token is None else re.escape(token) for token in parse_wildcard(pattern))
    compiled = re.compile(source, re.DOTALL)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


def wildcard_complexity(patterns: Iterable[str]) -> int:
    """How many wildcard-pattern states a worst-case input keeps alive at once (event-ruler's measure).

    Each pattern is a small automaton over its quoted text. A state is ``2 * n`` for "matched the
    first n tokens" or ``2 * n + 1`` for "inside the star at token n"; standing just before a star
    also keeps that star's loop alive. We explore every state set an input can reach and take the
    largest. Many stars and repeated sequences after a star are what grow it, as AWS's error
    message says.
    """
    machines = [('"', *parse_wildcard(pattern), '"') for pattern in sorted(set(patterns))]
    alphabet = {token for machine in machines for token in machine if token is not None} | {""}
    start = tuple(frozenset([0]) for _ in machines)
    seen, pending, worst = {start}, [start], 0
    while pending and worst <= WILDCARD_COMPLEXITY_LIMIT and len(seen) < 100_000:
        states = pending.pop()
        for char in alphabet:  # "" stands for any character no pattern names
            after = tuple(_advance(machine, each, char) for machine, each in zip(machines, states, strict=True))
            if after not in seen:
                seen.add(after)
                pending.append(after)
                worst = max(worst, sum(_weight(machine, each) for machine, each in zip(machines, after, strict=True)))
    return worst


def _advance(machine: tuple[WildcardToken, ...], states: frozenset[int], char: str) -> frozenset[int]:
    reached: set[int] = set()
    for state in states:
        position, looping = divmod(state, 2)
        if position == len(machine):
            continue  # the pattern has matched; nothing follows
        if looping or machine[position] is None:
            reached.add(2 * position + 1)  # the star takes the character...
            if machine[position + 1] == char:
                reached.add(2 * (position + 2))  # ...or ends, and the next token takes it
        elif machine[position] == char:
            reached.add(2 * (position + 1))
    return frozenset(reached)


def _weight(machine: tuple[WildcardToken, ...], states: frozenset[int]) -> int:
    before_a_star = [
        state
        for state in states
        if state % 2 == 0 and state // 2 < len(machine) and machine[state // 2] is None and state + 1 not in states
    ]
    return len(states) + len(before_a_star)
