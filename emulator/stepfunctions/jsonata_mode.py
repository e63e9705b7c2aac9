"""JSONata mode: ``{% expression %}`` fields evaluated with jsonata-python.

The ``$states`` variable holds ``input``, ``context`` and, where the state has them,
``result`` and ``errorOutput``; workflow variables (``Assign``) are bound by name. AWS
wraps every evaluation failure in States.QueryEvaluationError naming the field
(``Output/result``) and the expression; an undefined result is an error too. AWS does
not provide jsonata's ``$random``-with-seed helpers, and it adds ``$partition``,
``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse`` (Step Functions developer
guide, "Transforming data with JSONata in Step Functions").
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jsonata  # type: ignore[import-untyped]
from jsonata import utils as jsonata_utils

from .errors import QueryEvaluationError

_NULL = jsonata_utils.Utils.NULL_VALUE
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_COMPILED: dict[str, Any] = {}


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def _to_jsonata(value: Any) -> Any:
    if value is None:
        return _NULL
    if isinstance(value, dict):
        return {key: _to_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_jsonata(item) for item in value]
    return value


def _from_jsonata(value: Any) -> Any:
    if value is _NULL:
        return None
    if isinstance(value, dict):
        return {key: _from_jsonata(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_from_jsonata(item) for item in value if item is not None]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _is_function(value: Any) -> bool:
    return callable(value) or type(value).__name__ in ("JLambda", "JFunction", "JNativeFunction", "Symbol")


def _compile(expression: str) -> Any:
    compiled = _COMPILED.get(expression)
    if compiled is None:
        compiled = jsonata.Jsonata(expression)
        compiled.set_output_convert_nulls(False) if hasattr(compiled, "set_output_convert_nulls") else None
        _COMPILED[expression] = compiled
    return compiled


class Evaluator:
    """Evaluates the JSONata fields of one state with its ``$states`` and the variables."""

    def __init__(self, state_name: str, entered_id: int, rng: random.Random,
                 clock: Callable[[], datetime]) -> None:
        self.state_name = state_name
        self.entered_id = entered_id
        self.rng = rng
        # $now() and $millis() read the execution's virtual clock, not the wall clock.
        self.clock = clock

    def prefix(self) -> str:
        return (f"An error occurred while executing the state '{self.state_name}' "
                f"(entered at the event id #{self.entered_id}).")

    def fail(self, message: str) -> QueryEvaluationError:
        return QueryEvaluationError(f"{self.prefix()} {message}")

    def expression(self, text: str, states: dict[str, Any], variables: dict[str, Any], field: str) -> Any:
        source = text[2:-2].strip()
        bindings = {name: _to_jsonata(value) for name, value in variables.items()}
        bindings["states"] = _to_jsonata(states)
        try:
            compiled = _compile(source)
            bindings.update(self._functions())
            result = compiled.evaluate(None, bindings)
        except jsonata.JException as error:
            code = getattr(error, "error", "")
            message = str(error)
            raise self.fail(f"The JSONata expression '{source}' specified for the field '{field}' threw an error "
                            f"during evaluation. {code}: {message}") from None
        except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
            raise self.fail(f"The JSONata expression '{source}' specified for the field '{field}' threw an error "
                            f"during evaluation. {error}") from None
        if result is None:
            raise self.fail(f"The JSONata expression '{source}' specified for the field '{field}' returned nothing "
                            "(undefined).")
        if _is_function(result):
            raise self.fail(f"The JSONata expression '{source}' specified for the field '{field}' returned an "
                            "unsupported result type.")
        return _from_jsonata(result)

    def template(self, value: Any, states: dict[str, Any], variables: dict[str, Any], field: str) -> Any:
        """``value`` with every ``{% %}`` string inside it replaced by its result."""
        if is_expression(value):
            return self.expression(value, states, variables, field)
        if isinstance(value, dict):
            return {key: self.template(item, states, variables, f"{field}/{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.template(item, states, variables, f"{field}[{i}]") for i, item in enumerate(value)]
        return value

    def _functions(self) -> dict[str, Any]:
        rng = self.rng
        clock = self.clock
        wrap = jsonata.Jsonata.JLambda
        return {
            "now": wrap(lambda *_: clock().strftime("%Y-%m-%dT%H:%M:%S.") + f"{clock().microsecond // 1000:03d}Z"),
            "millis": wrap(lambda: int(clock().timestamp() * 1000)),
            "partition": wrap(_partition),
            "range": wrap(_range),
            "hash": wrap(_hash),
            "uuid": wrap(lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))),
            "random": wrap(lambda *seed: random.Random(_plain(seed[0])).random() if seed else rng.random()),
            "parse": wrap(_parse),
        }


def _plain(value: Any) -> Any:
    return _from_jsonata(value)


def _partition(items: Any, size: Any) -> list[Any]:
    items, size = _plain(items), _plain(size)
    if not isinstance(items, list):
        items = [items]
    size = int(size)
    if size <= 0:
        raise ValueError("The chunk size must be a positive integer")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    start, end, step = int(_plain(start)), int(_plain(end)), int(_plain(step))
    if step == 0:
        raise ValueError("The step must not be 0")
    # A JSONata sequence: one number alone is the number, as AWS returns it.
    values = range(start, end + (1 if step > 0 else -1), step)
    sequence: list[int] = jsonata_utils.Utils.create_sequence_from_iter(values)
    return sequence


def _hash(data: Any, algorithm: Any) -> str:
    data, algorithm = _plain(data), _plain(algorithm)
    if algorithm not in _HASHES:
        raise ValueError(f"The algorithm must be one of {', '.join(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], str(data).encode()).hexdigest()


def _parse(text: Any) -> Any:
    return _to_jsonata(json.loads(_plain(text)))


__all__ = ["Evaluator", "is_expression"]
