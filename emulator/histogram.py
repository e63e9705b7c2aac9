"""Latency distributions in bounded memory: exact while small, log-bucketed when large.

A run of a million messages must not keep a million latencies to report three percentiles.
A ``Latencies`` keeps the exact values up to ``EXACT_LIMIT`` (every test, example and teaching
run stays exact to the 0.1 ms the summary prints), then folds them into logarithmic buckets
whose width is 1% of their value, as DDSketch does: any percentile is then within 0.5% of the
exact one, and the memory is a few hundred buckets whatever the run's length. The maximum is
always exact.
"""

from __future__ import annotations

import math
from typing import Final

# Above this many values a distribution turns into buckets (about 80 KB of floats per metric).
EXACT_LIMIT: Final = 10_000
# Bucket i holds values in (GAMMA**(i-1), GAMMA**i]; its representative value is within
# (GAMMA - 1) / (GAMMA + 1), just under 0.5%, of every value in it.
GAMMA: Final = 1.01
_LOG_GAMMA: Final = math.log(GAMMA)
_REPRESENTATIVE: Final = 2.0 / (1.0 + GAMMA)


class Latencies:
    """Values in milliseconds; ``percentiles`` reports nearest-rank percentiles as CloudWatch does."""

    __slots__ = ("add", "_values", "_buckets", "_zeros", "_count", "_max")

    def __init__(self) -> None:
        self._values: list[float] | None = []
        self._buckets: dict[int, int] = {}
        self._zeros = 0  # values <= 0 have no logarithm; they sort first
        self._count = 0
        self._max = 0.0
        # The hot path: list.append while exact, no method call of ours in between.
        self.add = self._append_exact

    def __len__(self) -> int:
        return self._count if self._values is None else len(self._values)

    def _append_exact(self, value: float) -> None:
        values = self._values
        assert values is not None
        values.append(value)
        if len(values) > EXACT_LIMIT:
            self._fold()

    def _fold(self) -> None:
        """Turn the exact values into buckets; from now on each value goes straight to its bucket."""
        values = self._values
        assert values is not None
        self._values = None
        self.add = self._add_bucketed
        for value in values:
            self._add_bucketed(value)

    def _add_bucketed(self, value: float) -> None:
        self._count += 1
        if value > self._max:
            self._max = value
        if value <= 0.0:
            self._zeros += 1
            return
        index = math.ceil(math.log(value) / _LOG_GAMMA)
        buckets = self._buckets
        buckets[index] = buckets.get(index, 0) + 1

    @property
    def exact(self) -> bool:
        return self._values is not None

    def percentiles(self, points: tuple[int, ...] = (50, 99), *, with_max: bool = False) -> dict[str, float]:
        """Nearest-rank percentiles rounded to 0.1 ms (zeros when there are no values)."""
        if self._values is not None:
            return percentiles(self._values, points, with_max=with_max)
        result: dict[str, float] = {}
        ordered = sorted(self._buckets.items())
        for point in points:
            rank = max(1, -(-point * self._count // 100))
            result[f"p{point}"] = round(self._value_at_rank(rank, ordered), 1)
        if with_max:
            result["max"] = round(self._max, 1)
        return result

    def _value_at_rank(self, rank: int, ordered: list[tuple[int, int]]) -> float:
        seen = self._zeros
        if rank <= seen:
            return 0.0
        for index, count in ordered:
            seen += count
            if seen >= rank:
                # Never above the exact maximum: the top bucket's representative may be.
                return min(GAMMA**index * _REPRESENTATIVE, self._max)
        return self._max


def percentiles(values: list[float], points: tuple[int, ...] = (50, 99), *, with_max: bool = False) -> dict[str, float]:
    """Nearest-rank percentiles (as CloudWatch reports them) of exact values, rounded to 0.1 ms."""
    if not values:
        result: dict[str, float] = {f"p{p}": 0.0 for p in points}
        if with_max:
            result["max"] = 0.0
        return result
    ordered = sorted(values)
    count = len(ordered)
    result = {}
    for point in points:
        rank = max(1, -(-point * count // 100))
        result[f"p{point}"] = round(ordered[rank - 1], 1)
    if with_max:
        result["max"] = round(ordered[-1], 1)
    return result
