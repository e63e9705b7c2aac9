"""EventBridge rule event patterns: validation with AWS's reasons, and compiled matchers.

Semantics from the EventBridge User Guide: "Creating Amazon EventBridge event patterns"
(fields AND, values OR, null differs from ""), "Arrays in Amazon EventBridge event patterns"
(an array field matches when any element does) and "Content filtering in Amazon EventBridge event
patterns" (prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr, $or).
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.matching.operators import Dialect, InvalidPatternError
from emulator.matching.patterns import (
    Alternative,
    DocumentMatcher,
    check_wildcard_complexity,
    expand,
)

EVENTBRIDGE = Dialect(
    match_types=frozenset(
        ["prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"]
    ),
    anything_but_forms=frozenset(["prefix", "suffix", "equals-ignore-case", "wildcard"]),
    affix_ignore_case=True,
    scalar_values=False,  # EventBridge insists on a list: "must be an object or an array"
    nested=True,
    ip_literals=True,
)

EventMatcher = Callable[[Mapping[str, Any]], bool]


def compile_event_pattern(pattern: Mapping[str, Any]) -> EventMatcher:
    """Validate ``pattern`` once and return a fast ``event -> bool`` closure.

    Raises InvalidPatternError with AWS's reason (what follows "Event pattern is not valid.
    Reason: " in PutRule's error) when AWS would refuse the pattern.
    """
    return DocumentMatcher(_alternatives(pattern))


def validate_event_pattern(pattern: Mapping[str, Any]) -> None:
    """Raise InvalidPatternError(AWS's reason) if EventBridge would refuse ``pattern``."""
    _alternatives(pattern)


def match_event_pattern(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether ``event`` matches the rule ``pattern`` (see compile_event_pattern for the hot path)."""
    return compile_event_pattern(pattern)(event)


def _alternatives(pattern: Mapping[str, Any]) -> list[Alternative]:
    if not isinstance(pattern, Mapping):
        raise InvalidPatternError("Filter is not an object")
    alternatives = expand(pattern, EVENTBRIDGE)
    check_wildcard_complexity(alternatives)
    return alternatives
