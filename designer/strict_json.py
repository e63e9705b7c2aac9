"""The one reading of the JSON a user sends to the API: RFC 8259, and only what can be stored.

Python's json module accepts more than RFC 8259 does (NaN, Infinity, -Infinity), turns a number
beyond a double into infinity (1e400), raises ValueError rather than a JSON error on an integer
of 4,300 digits or more, and RecursionError on deep nesting. It also hands back strings that no
store keeps alike: a lone surrogate (``"\\ud800"``) cannot be encoded as UTF-8 at all, and a NUL
character is refused by PostgreSQL's text and jsonb but kept by SQLite. Each of these is refused
here, every one at once, with the JSON pointer of where it is, so nothing later has to guess and
SQLite and PostgreSQL answer the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final

from emulator.problems import Problem, pointer

# Deep enough for real documents (a state machine with Parallel and Map states nested ten deep is
# about 50 levels), shallow enough that no validation of them can exhaust Python's stack.
MAX_DEPTH: Final = 100
# Every integer of at most 308 digits is within a double's range (1.8e308), which is what JSON
# numbers are to every other reader (RFC 8259 section 6); longer ones are nobody's number.
MAX_INTEGER_DIGITS: Final = 308

_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}
# Only an escape can put a NUL or a surrogate into a decoded string (raw control characters are
# invalid JSON, and UTF-8 cannot encode surrogates): without one, no string needs looking at.
_SUSPICIOUS_ESCAPE: Final = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


class InvalidJson(ValueError):
    """A body that is not JSON the API can use; ``problems`` names each reason with its pointer."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class _Refused:
    """Stands where the parser met a number it must not return, until its pointer is known."""

    message: str


class _Reader:
    """One parse: the hooks note refused numbers, so the walk for pointers runs only when needed."""

    def __init__(self) -> None:
        self.refused = False

    def constant(self, name: str) -> _Refused:
        self.refused = True
        return _Refused(f"RFC 8259 has no NaN or infinities: {name} is not a JSON number")

    def integer(self, text: str) -> int | _Refused:
        digits = len(text.lstrip("-"))
        if digits > MAX_INTEGER_DIGITS:
            self.refused = True
            return _Refused(f"an integer has at most {MAX_INTEGER_DIGITS} digits (the range of a JSON number), "
                            f"not {digits:,}")
        return int(text)

    def number(self, text: str) -> float | _Refused:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            self.refused = True
            return _Refused(f"a JSON number is at most about ±1.8e308, not {text}")
        return value


def loads(data: bytes) -> Any:
    """The JSON value of ``data``; raises InvalidJson naming every reason it cannot be used."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise InvalidJson([Problem("", f"the body is not UTF-8 (byte {bad.start} cannot be read)")]) from None
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise InvalidJson([Problem("", f"the body nests arrays and objects {depth:,} deep; at most {MAX_DEPTH} "
                                   "levels are read")])
    reader = _Reader()
    try:
        value = json.loads(text, parse_constant=reader.constant, parse_int=reader.integer,
                           parse_float=reader.number)
    except json.JSONDecodeError as bad:
        raise InvalidJson([Problem("", f"the body is not valid JSON: {bad.msg} at line {bad.lineno} column "
                                   f"{bad.colno}")]) from None
    if reader.refused or _SUSPICIOUS_ESCAPE.search(text):
        problems = list(_problems(value))
        if problems:
            raise InvalidJson(problems)
    return value


def _depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, brackets inside strings aside."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _problems(value: Any) -> Iterator[Problem]:
    """Every refused number and unstorable string in ``value``, in document order."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Refused):
            yield Problem(where, item.message)
        elif isinstance(item, str):
            yield from _string_problems(item, where, "the string")
        elif isinstance(item, dict):
            for key in item:
                yield from _string_problems(key, where, "a member name of the object")
            stack.extend((child, where + pointer(key)) for key, child in reversed(item.items())
                         if not _UNSTORABLE.search(key))
        elif isinstance(item, list):
            stack.extend((child, where + pointer(index)) for index, child in reversed(list(enumerate(item))))


def _string_problems(text: str, where: str, what: str) -> Iterator[Problem]:
    found = _UNSTORABLE.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        yield Problem(where, f"NUL characters (\\u0000) cannot be stored; one is in {what}")
    else:
        yield Problem(where, f"a lone surrogate (\\u{ord(found.group()):04x}) is not a Unicode character (send the "
                      f"character itself, or both halves of its surrogate pair); one is in {what}")
