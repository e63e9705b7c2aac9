"""The intrinsic functions (``States.Format(...)`` in a ``.$`` field) of JSONPath mode.

The grammar and each function's rules are the States Language's "Intrinsic functions"
page: string literals in single quotes with ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` escapes,
numbers, true/false/null, paths into the state's input (``$``) or the context object
(``$$``), and nested calls. Values are formatted the way AWS's Java runtime prints them
(``{Arg1=1, Arg2=[]}`` for an object in States.Format). Randomness (States.UUID,
States.MathRandom) comes from the execution's seeded generator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from typing import Any

from . import paths
from .errors import FailureError, RuntimeFailure

INTRINSIC_FAILURE = "States.IntrinsicFailure"
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
# Limits from the "Intrinsic functions" page.
_MAX_RANGE_ITEMS = 1000
_MAX_HASH_INPUT = 10_000
_MAX_BASE64_INPUT = 10_000


class Call:
    __slots__ = ("name", "args")

    def __init__(self, name: str, args: list[Any]) -> None:
        self.name = name
        self.args = args


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Path:
    __slots__ = ("path", "context")

    def __init__(self, path: str, context: bool) -> None:
        self.path = path
        self.context = context


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.") and "(" in text


def parse(text: str) -> Call:
    """The call tree of ``text``; raises FailureError(States.Runtime) when it is malformed."""
    node = _PARSED.get(text)
    if node is not None:
        return node
    parser = _Parser(text)
    node = parser.call()
    parser.skip_space()
    if parser.i != len(text):
        raise RuntimeFailure(f"The intrinsic function '{text}' has unexpected text at position {parser.i}")
    if len(_PARSED) < 4096:
        _PARSED[text] = node
    return node


# Definitions repeat the same few expressions in every execution: parse each once.
_PARSED: dict[str, Call] = {}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def fail(self, what: str) -> RuntimeFailure:
        return RuntimeFailure(f"The intrinsic function '{self.text}' is malformed: {what} at position {self.i}")

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def call(self) -> Call:
        start = self.i
        while self.i < len(self.text) and (self.text[self.i].isalnum() or self.text[self.i] == "."):
            self.i += 1
        name = self.text[start : self.i]
        if not name.startswith("States.") or self.i >= len(self.text) or self.text[self.i] != "(":
            raise self.fail("expected States.<Function>(")
        self.i += 1
        args: list[Any] = []
        self.skip_space()
        if self.text[self.i : self.i + 1] == ")":
            self.i += 1
            return Call(name, args)
        while True:
            self.skip_space()
            args.append(self.argument())
            self.skip_space()
            char = self.text[self.i : self.i + 1]
            self.i += 1
            if char == ")":
                return Call(name, args)
            if char != ",":
                self.i -= 1
                raise self.fail("expected ',' or ')'")

    def argument(self) -> Any:
        text, i = self.text, self.i
        char = text[i : i + 1]
        if char == "'":
            return _Literal(self.string())
        if char == "$":
            depth = 0
            quote = None
            while self.i < len(text):
                c = text[self.i]
                if quote:
                    if c == quote:
                        quote = None
                elif c in "'\"" and depth:
                    quote = c
                elif c in "[(":
                    depth += 1
                elif c in "])":
                    if depth == 0:
                        break
                    depth -= 1
                elif c == "," and depth == 0:
                    break
                self.i += 1
            path = text[i : self.i].strip()
            if path.startswith("$$"):
                return _Path(path[1:], True)
            return _Path(path, False)
        if text.startswith("States.", i):
            return self.call()
        end = i
        while end < len(text) and text[end] not in ",)":
            end += 1
        token = text[i:end].strip()
        self.i = end
        if token in ("true", "false", "null"):
            return _Literal({"true": True, "false": False, "null": None}[token])
        try:
            number = json.loads(token)
        except ValueError:
            raise self.fail(f"unexpected argument '{token}'") from None
        if not isinstance(number, (int, float)):
            raise self.fail(f"unexpected argument '{token}'")
        return _Literal(number)

    def string(self) -> str:
        text = self.text
        self.i += 1
        out: list[str] = []
        while self.i < len(text):
            char = text[self.i]
            if char == "\\" and self.i + 1 < len(text) and text[self.i + 1] in "'{}\\\"":
                out.append("\\" + text[self.i + 1] if text[self.i + 1] in "{}" else text[self.i + 1])
                self.i += 2
                continue
            if char == "'":
                self.i += 1
                return "".join(out)
            out.append(char)
            self.i += 1
        raise self.fail("unterminated string")


def evaluate(text: str, document: Any, context: Any, rng: random.Random, field: str) -> Any:
    """The value of the intrinsic ``text`` over the state's ``document`` and the ``context``."""
    return _eval(parse(text), document, context, rng, field)


def _eval(node: Any, document: Any, context: Any, rng: random.Random, field: str) -> Any:
    if isinstance(node, _Literal):
        return node.value
    if isinstance(node, _Path):
        try:
            return paths.evaluate(node.path, context if node.context else document)
        except paths.PathError:
            shown = "$" + node.path if node.context else node.path
            raise RuntimeFailure(f"The JSONPath '{shown}' specified for the field '{field}' could not be found in the "
                                 f"input '{_compact(context if node.context else document)}'") from None
    args = [_eval(arg, document, context, rng, field) for arg in node.args]
    # Escaped braces stay escaped only in States.Format's template, where {} is a placeholder.
    for position, arg in enumerate(node.args):
        if isinstance(arg, _Literal) and isinstance(arg.value, str) and not (
            position == 0 and node.name == "States.Format"
        ):
            args[position] = arg.value.replace("\\{", "{").replace("\\}", "}")
    function = _FUNCTIONS.get(node.name)
    if function is None:
        raise RuntimeFailure(f"The intrinsic function '{node.name}' is not supported (field '{field}')")
    try:
        return function(args, rng)
    except FailureError:
        raise
    except _ArgumentError as error:
        raise FailureError(INTRINSIC_FAILURE, f"{node.name}: {error}") from None


class _ArgumentError(Exception):
    pass


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def java_text(value: Any, *, top: bool = True) -> str:
    """``value`` as AWS's Java runtime prints it into States.Format."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e7 else f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(java_text(item, top=False) for item in value) + "]"
    return "{" + ", ".join(f"{key}={java_text(item, top=False)}" for key, item in value.items()) + "}"


def _canonical(value: Any) -> str:
    return json.dumps(_typed(value), sort_keys=True)


def _typed(value: Any) -> Any:
    # JSON equality keeps true apart from 1, which Python's == does not.
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, (int, float)):
        return ["number", float(value)]
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    return value


def _count(args: list[Any], *counts: int) -> None:
    if len(args) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        raise _ArgumentError(f"expected {wanted} arguments but got {len(args)}")


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise _ArgumentError(f"{what} must be an integer, got {_compact(value)}")
    return int(value)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _ArgumentError(f"{what} must be a string, got {_compact(value)}")
    return value


def _array(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _ArgumentError(f"{what} must be an array, got {_compact(value)}")
    return value


def _format(args: list[Any], rng: random.Random) -> str:
    if not args:
        raise _ArgumentError("expected a template string")
    template = _string(args[0], "the template")
    values = args[1:]
    out: list[str] = []
    used = 0
    i = 0
    while i < len(template):
        if template.startswith("\\{", i) or template.startswith("\\}", i):
            out.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            if used >= len(values):
                raise _ArgumentError("the template has more {} than arguments")
            out.append(java_text(values[used]))
            used += 1
            i += 2
        else:
            out.append(template[i])
            i += 1
    if used != len(values):
        raise _ArgumentError(f"the template has {used} {{}} for {len(values)} arguments")
    return "".join(out)


def _string_to_json(args: list[Any], rng: random.Random) -> Any:
    _count(args, 1)
    text = _string(args[0], "the argument")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise _ArgumentError(f"the argument is not valid JSON: {text}") from None


def _json_to_string(args: list[Any], rng: random.Random) -> str:
    _count(args, 1)
    return _compact(args[0])


def _array_fn(args: list[Any], rng: random.Random) -> list[Any]:
    return list(args)


def _array_partition(args: list[Any], rng: random.Random) -> list[Any]:
    _count(args, 2)
    items = _array(args[0], "the first argument")
    size = _integer(args[1], "the chunk size")
    if size <= 0:
        raise _ArgumentError(f"the chunk size must be positive, got {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[Any], rng: random.Random) -> bool:
    _count(args, 2)
    wanted = _canonical(args[1])
    return any(_canonical(item) == wanted for item in _array(args[0], "the first argument"))


def _array_range(args: list[Any], rng: random.Random) -> list[int]:
    _count(args, 3)
    start, end, step = (_integer(a, name) for a, name in zip(args, ("start", "end", "step"), strict=True))
    if step == 0:
        raise _ArgumentError("the step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > _MAX_RANGE_ITEMS:
        raise _ArgumentError(f"the range has {len(values)} items, more than the limit of {_MAX_RANGE_ITEMS}")
    return values


def _array_get_item(args: list[Any], rng: random.Random) -> Any:
    _count(args, 2)
    items = _array(args[0], "the first argument")
    index = _integer(args[1], "the index")
    if not 0 <= index < len(items):
        raise _ArgumentError(f"index {index} is out of bounds for an array of {len(items)} items")
    return items[index]


def _array_length(args: list[Any], rng: random.Random) -> int:
    _count(args, 1)
    return len(_array(args[0], "the argument"))


def _array_unique(args: list[Any], rng: random.Random) -> list[Any]:
    _count(args, 1)
    seen: set[str] = set()
    out = []
    for item in _array(args[0], "the argument"):
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(args: list[Any], rng: random.Random) -> str:
    _count(args, 1)
    text = _string(args[0], "the argument")
    if len(text) > _MAX_BASE64_INPUT:
        raise _ArgumentError(f"the input is longer than {_MAX_BASE64_INPUT} characters")
    return base64.b64encode(text.encode()).decode()


def _base64_decode(args: list[Any], rng: random.Random) -> str:
    _count(args, 1)
    text = _string(args[0], "the argument")
    if len(text) > _MAX_BASE64_INPUT:
        raise _ArgumentError(f"the input is longer than {_MAX_BASE64_INPUT} characters")
    try:
        return base64.b64decode(text, validate=True).decode()
    except ValueError:
        raise _ArgumentError(f"the input is not valid base64: {text}") from None


def _hash(args: list[Any], rng: random.Random) -> str:
    _count(args, 2)
    data = args[0] if isinstance(args[0], str) else java_text(args[0])
    algorithm = _string(args[1], "the algorithm")
    if algorithm not in _HASHES:
        raise _ArgumentError(f"the algorithm must be one of {', '.join(_HASHES)}, got {algorithm}")
    if len(data) > _MAX_HASH_INPUT:
        raise _ArgumentError(f"the input is longer than {_MAX_HASH_INPUT} characters")
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _json_merge(args: list[Any], rng: random.Random) -> dict[str, Any]:
    _count(args, 3)
    if args[2] is not False:
        raise _ArgumentError("only a shallow merge is supported: the third argument must be false")
    left, right = args[0], args[1]
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise _ArgumentError("both arguments must be objects")
    return {**left, **right}


def _math_random(args: list[Any], rng: random.Random) -> int:
    _count(args, 2, 3)
    start, end = math.floor(_number(args[0])), math.floor(_number(args[1]))
    if end <= start:
        raise _ArgumentError(f"the end ({end}) must be greater than the start ({start})")
    generator = random.Random(_integer(args[2], "the seed")) if len(args) == 3 else rng
    return generator.randrange(start, end)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _ArgumentError(f"expected a number, got {_compact(value)}")
    return value


def _java_round(value: float) -> int:
    return math.floor(value + 0.5)


def _math_add(args: list[Any], rng: random.Random) -> int:
    _count(args, 2)
    return _java_round(_number(args[0])) + _java_round(_number(args[1]))


def _string_split(args: list[Any], rng: random.Random) -> list[str]:
    _count(args, 2)
    text = _string(args[0], "the first argument")
    delimiters = set(_string(args[1], "the delimiter"))
    parts: list[str] = []
    current: list[str] = []
    for char in text:
        if char in delimiters:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part]


def _uuid(args: list[Any], rng: random.Random) -> str:
    _count(args, 0)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_FUNCTIONS: dict[str, Callable[[list[Any], random.Random], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array_fn,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
