"""Workload sources at run time: arrivals in virtual time and payloads from generators."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulator.kernel import Kernel
from emulator.tracing import EPOCH
from emulator.workload import Source

# (source, sequence number within the source, time) -> None: the simulation takes it from here.
Arrive = Callable[["SourceRunner", int], None]


class SourceRunner:
    """Schedules one source's arrivals: constant or Poisson, following its ramp, until it ends."""

    def __init__(self, source: Source, kernel: Kernel, rng: random.Random, end_s: float, arrive: Arrive,
                 on_done: Callable[[], None] | None = None) -> None:
        self.source = source
        self.on_done = on_done
        self.kernel = kernel
        self.rng = rng
        self.end_s = end_s
        self.arrive = arrive
        self._poisson = source.arrival == "poisson"
        self.sent = 0
        # Messages sent whose entry request is not answered yet (each holds its ledger token).
        self.unanswered = 0
        self.done = False
        self._segment_start = source.start_s
        self._index = 0
        self._rate = 0.0
        self._rate_from = 0.0
        self._rate_until = -1.0  # the cached rate holds from _rate_from until this time
        self._next_change = 0.0
        # Each message's payload, attributes, group and deduplication ids, from the source's templates.
        self.payload = compile_template(source.payload)
        self.attributes = compile_object(source.attributes)
        self.group_id = None if source.group_id is None else compile_template(source.group_id)
        self.deduplication_id = None if source.deduplication_id is None else compile_template(source.deduplication_id)
        # Bound once: ``self._fire`` written at each arrival would make (and free) a method object each time.
        self._fire_callback: Callable[[], None] = self._fire
        self._steps = [(source.start_s, source.per_second)] + [
            (step.at_s, step.per_second) for step in source.ramp if step.at_s > source.start_s
        ]

    def start(self) -> None:
        self._segment_start = self.source.start_s
        self._index = 0
        self._schedule_next(self.source.start_s)

    def rate_at(self, time: float) -> tuple[float, float]:
        """The rate in force at ``time`` and when it next changes."""
        if self._rate_until > time >= self._rate_from:
            return self._rate, self._next_change
        rate, next_change = self._steps[0][1], float("inf")
        for index, (at, per_second) in enumerate(self._steps):
            if at <= time:
                rate = per_second
                next_change = self._steps[index + 1][0] if index + 1 < len(self._steps) else float("inf")
        self._rate, self._next_change = rate, next_change
        self._rate_from, self._rate_until = time, next_change
        return rate, next_change

    def _schedule_next(self, time: float) -> None:
        """Schedule the arrival after ``time`` under the ramp, or finish."""
        while True:
            rate, next_change = self.rate_at(time)
            if rate > 0:
                if self._poisson:
                    arrival = time + self.rng.expovariate(rate)
                else:
                    # From the start of the rate's segment, not by adding gaps: sums of 1/rate drift.
                    arrival = self._segment_start + self._index / rate
                if arrival < next_change:
                    break
            if next_change == float("inf"):
                self._finish()
                return
            # The rate changes before the next arrival: start again under the new rate.
            time = self._segment_start = next_change
            self._index = 0
        if arrival >= self.end_s:
            self._finish()
            return
        self._index += 1
        self.kernel.schedule_at(arrival, self._fire_callback)

    def _fire(self) -> None:
        self.sent += 1
        self.arrive(self, self.sent)
        count = self.source.count
        if count is not None and self.sent >= count:
            self._finish()
            return
        self._schedule_next(self.kernel.now)

    def _finish(self) -> None:
        self.done = True
        if self.on_done is not None:
            self.on_done()


# (rng, sequence number within the source, message id, virtual time) -> a generated value.
Expand = Callable[[random.Random, int, str, float], Any]


def compile_template(template: Any) -> Expand:
    """A function that expands the generators in a payload, attribute or group-id template.

    The template is read once, when the source starts; each message then costs one call per
    generator instead of a walk over the whole template. Templates without generators expand
    to themselves, shared rather than rebuilt for each message.
    """
    if is_constant(template):
        return _Constant(template).expand
    if isinstance(template, str):
        generator = _STRING_GENERATORS.get(template)
        if generator is not None:
            return generator
        # "$$text" is the literal "$text"; an unknown "$name" stays as it is.
        return _Constant(template[1:] if template.startswith("$$") else template).expand
    if isinstance(template, dict):
        if "$uniform" in template:
            low, high = template["$uniform"]
            if isinstance(low, int) and isinstance(high, int):
                return _UniformInteger(low, high).expand
            return _UniformNumber(low, high).expand
        if "$choice" in template:
            return _Choice(template["$choice"], template.get("weights")).expand
        return compile_object(template)
    return _Array([compile_template(item) for item in template]).expand


def compile_object(template: dict[str, Any]) -> Expand:
    """A dict whose values are templates (its keys are taken as they are)."""
    if all(is_constant(value) for value in template.values()):
        return _Constant(template).expand
    return _Object([(key, compile_template(value)) for key, value in template.items()]).expand


def is_constant(template: Any) -> bool:
    """True when a template has no generator in it (it can be shared, not rebuilt per message)."""
    if isinstance(template, str):
        return not template.startswith("$")
    if isinstance(template, dict):
        return not any(k.startswith("$") for k in template) and all(is_constant(v) for v in template.values())
    if isinstance(template, list):
        return all(is_constant(item) for item in template)
    return True


def _sequence(rng: random.Random, sequence: int, message_id: str, now: float) -> int:
    return sequence


def _message_id(rng: random.Random, sequence: int, message_id: str, now: float) -> str:
    return message_id


def _timestamp(rng: random.Random, sequence: int, message_id: str, now: float) -> str:
    return datetime.fromtimestamp(EPOCH + now, tz=UTC).isoformat(timespec="milliseconds")


_STRING_GENERATORS: dict[str, Expand] = {"$seq": _sequence, "$message_id": _message_id, "$timestamp": _timestamp}


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> Any:
        return self.value


class _UniformInteger:
    __slots__ = ("low", "width", "bits")

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.width = high + 1 - low  # at least 1: the workload checks low <= high
        self.bits = self.width.bit_length()

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> int:
        # rng.randint(low, high) written out as random.py does it (randrange, then _randbelow: draw
        # bit_length bits until they fall below the width): the same draws and the same numbers,
        # compiled, where randint ran three Python functions per value.
        width, bits = self.width, self.bits
        getrandbits = rng.getrandbits
        value = getrandbits(bits)
        while value >= width:
            value = getrandbits(bits)
        return self.low + value


class _UniformNumber:
    __slots__ = ("low", "high")

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.high = high

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> float:
        # rng.uniform(low, high) written out, the same arithmetic: a + (b - a) * random().
        low = self.low
        return round(low + (self.high - low) * rng.random(), 2)


class _Choice:
    __slots__ = ("options", "weights")

    def __init__(self, options: list[Any], weights: list[float] | None) -> None:
        self.options = [compile_template(option) for option in options]
        self.weights = weights or None

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> Any:
        options = self.options
        pick = rng.choices(options, self.weights)[0] if self.weights else options[rng.randrange(len(options))]
        return pick(rng, sequence, message_id, now)


class _Object:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Expand]]) -> None:
        self.items = items

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> dict[str, Any]:
        return {key: value(rng, sequence, message_id, now) for key, value in self.items}


class _Array:
    __slots__ = ("items",)

    def __init__(self, items: list[Expand]) -> None:
        self.items = items

    def expand(self, rng: random.Random, sequence: int, message_id: str, now: float) -> list[Any]:
        return [item(rng, sequence, message_id, now) for item in self.items]
