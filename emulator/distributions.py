"""Duration models: a fixed number of milliseconds, or a lognormal fitted to median and p99.

Service latencies are right-skewed (most calls are quick, a few are very slow); a lognormal
with the given median and 99th percentile is the usual model and needs only the two numbers
people know from their dashboards.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any, Final

# The standard normal's 99th percentile: p99 = median * exp(Z99 * sigma).
_Z99: Final = 2.3263478740408408
# The constant of Kinderman and Monahan's ratio-of-uniforms method, as random.normalvariate has it.
_NV_MAGICCONST: Final = 4 * math.exp(-0.5) / math.sqrt(2.0)


class Duration:
    """Draws durations in milliseconds from a seeded generator."""

    __slots__ = ("median", "p99", "_mu", "_sigma", "_rng", "_random")

    def __init__(self, median: float, p99: float | None = None) -> None:
        self.median = float(median)
        self.p99 = float(median if p99 is None else p99)
        if self.median > 0 and self.p99 > self.median:
            self._mu = math.log(self.median)
            self._sigma = (math.log(self.p99) - self._mu) / _Z99
        else:
            self._mu = 0.0
            self._sigma = 0.0
        # The generator last sampled with and its bound ``random``: a component draws each of its
        # durations from its own generator, and looking the method up costs more than calling it.
        self._rng: random.Random | None = None
        self._random: Callable[[], float] = random.random

    @classmethod
    def from_spec(cls, spec: Any) -> Duration:
        """From a topology value: a number (fixed) or {"median": m, "p99": p}."""
        if isinstance(spec, dict):
            return cls(spec["median"], spec["p99"])
        return cls(float(spec))

    @property
    def fixed(self) -> bool:
        return self._sigma == 0.0

    def sample(self, rng: random.Random) -> float:
        """One duration. The lognormal is ``rng.lognormvariate(mu, sigma)`` written out: the same
        draws and the same numbers (so the same traces), without the two Python calls it makes."""
        sigma = self._sigma
        if sigma == 0.0:
            return self.median
        if rng is not self._rng:
            self._rng = rng
            self._random = rng.random
        random = self._random
        while True:
            u1 = random()
            u2 = 1.0 - random()
            z = _NV_MAGICCONST * (u1 - 0.5) / u2
            if z * z / 4.0 <= -math.log(u2):
                return math.exp(self._mu + z * sigma)

    def __repr__(self) -> str:
        if self.fixed:
            return f"Duration({self.median:g} ms)"
        return f"Duration(median={self.median:g} ms, p99={self.p99:g} ms)"
