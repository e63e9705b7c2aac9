"""EventBridge event patterns and SNS filter policies: AWS's rule language, validated and matched.

Validators raise InvalidPatternError whose text is AWS's reason, so a bad pattern in a topology is
reported before a run starts; the compile_* functions validate once and return fast closures for
the hot path. eventbridge.py and sns.py hold each service's rules and cite the AWS pages they
follow; the rule language both share is in operators.py (a field's value list: exact values and
match operators) and patterns.py (keys, nesting, "$or", and matching JSON documents).
"""

from typing import Any

from emulator.matching.eventbridge import (
    EventMatcher,
    compile_event_pattern,
    match_event_pattern,
    validate_event_pattern,
)
from emulator.matching.operators import InvalidPatternError
from emulator.matching.sns import (
    MESSAGE_ATTRIBUTES,
    MESSAGE_BODY,
    PolicyMatcher,
    compile_filter_policy,
    match_filter_policy,
    validate_filter_policy,
)


def event_pattern_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid EventBridge event pattern (a Field check), or None."""
    try:
        validate_event_pattern(value)
    except InvalidPatternError as error:
        return f"is not a valid EventBridge event pattern: {error}"
    return None


__all__ = [
    "MESSAGE_ATTRIBUTES",
    "MESSAGE_BODY",
    "EventMatcher",
    "InvalidPatternError",
    "PolicyMatcher",
    "compile_event_pattern",
    "compile_filter_policy",
    "event_pattern_problem",
    "match_event_pattern",
    "match_filter_policy",
    "validate_event_pattern",
    "validate_filter_policy",
]
