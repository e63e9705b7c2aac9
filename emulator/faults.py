"""Injected faults: windows of virtual time in which a component misbehaves.

Kinds (formats.md section 2): ``unavailable`` (every request fails with a 5xx),
``slow`` (``value`` extra milliseconds on every request), ``error_rate`` (``value`` is the
probability a request fails), ``throttle`` (``value`` requests per second allowed, the rest
throttled).
"""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = ("unavailable", "slow", "error_rate", "throttle")


@dataclass(frozen=True)
class FaultWindow:
    kind: str
    from_s: float
    to_s: float
    value: float = 0.0

    def active(self, now: float) -> bool:
        return self.from_s <= now < self.to_s


class ComponentFaults:
    """The faults planned for one component, asked about on every request it handles."""

    __slots__ = ("windows", "_tokens", "_refilled_at")

    def __init__(self, windows: list[FaultWindow] | None = None) -> None:
        self.windows = tuple(windows or ())
        self._tokens: float = 0.0
        self._refilled_at: float | None = None

    def unavailable(self, now: float) -> bool:
        return any(w.kind == "unavailable" and w.active(now) for w in self.windows)

    def extra_ms(self, now: float) -> float:
        return sum(w.value for w in self.windows if w.kind == "slow" and w.active(now))

    def error_rate(self, now: float, normal: float) -> float:
        """The error probability now: the fault's when one is active, else ``normal``."""
        for window in self.windows:
            if window.kind == "error_rate" and window.active(now):
                return window.value
        return normal

    def throttled(self, now: float) -> bool:
        """True when a request now is over the ``throttle`` fault's rate (a token bucket, burst 1 s)."""
        for window in self.windows:
            if window.kind == "throttle" and window.active(now):
                rate = window.value
                if self._refilled_at is None or self._refilled_at < window.from_s:
                    self._tokens, self._refilled_at = rate, now
                self._tokens = min(rate, self._tokens + (now - self._refilled_at) * rate)
                self._refilled_at = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return False
                return True
        return False
