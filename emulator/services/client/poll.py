"""A client's polling settings: how often it asks again, and which answer ends the wait."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

DEFAULT_INTERVAL_S = 1.0
DEFAULT_MAX_POLLS = 30
MAX_POLLS = 10_000
_KEYS = ("interval_s", "until", "max_polls")


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

    @staticmethod
    def problem(value: Any) -> str | None:
        """What is wrong with a ``poll`` value, or None."""
        from emulator.matching import InvalidPatternError, validate_event_pattern

        if not isinstance(value, dict):
            return 'must be {"interval_s": seconds, "until": event pattern, "max_polls": count}'
        unknown = sorted(set(value) - set(_KEYS))
        if unknown:
            return f"has unknown key(s) {', '.join(unknown)}; valid: {', '.join(_KEYS)}"
        interval = value.get("interval_s", DEFAULT_INTERVAL_S)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval <= 3600:
            return f"interval_s must be a number of seconds above 0 and at most 3600, got {json.dumps(interval)}"
        count = value.get("max_polls", DEFAULT_MAX_POLLS)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_POLLS:
            return f"max_polls must be a whole number from 1 to {MAX_POLLS}, got {json.dumps(count)}"
        if "until" not in value:
            return 'needs until: an event pattern the answer must match, e.g. {"Item": {"status": ["done"]}}'
        try:
            validate_event_pattern(value["until"])
        except InvalidPatternError as error:
            return f"until is not a valid EventBridge event pattern: {error}"
        return None
