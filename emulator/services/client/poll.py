"""A client's polling settings: how often it asks again, and which answer ends the wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEFAULT_INTERVAL_S = 1.0
DEFAULT_MAX_POLLS = 30
MAX_POLLS = 10_000
MAX_INTERVAL_S = 3600


class PollSettings:
    """A connection's ``poll`` property, read once when the client connects."""

    __slots__ = ("interval_s", "max_polls", "_until")

    def __init__(self, value: dict[str, Any]) -> None:
        from emulator.matching import compile_event_pattern

        self.interval_s = float(value.get("interval_s", DEFAULT_INTERVAL_S))
        self.max_polls = int(value.get("max_polls", DEFAULT_MAX_POLLS))
        self._until: Callable[[dict[str, Any]], bool] = compile_event_pattern(value["until"])

    def done(self, answer: Any) -> bool:
        """Does this answer end the wait?"""
        return isinstance(answer, dict) and self._until(answer)
