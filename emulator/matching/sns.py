"""SNS subscription filter policies: validation with AWS's reasons, and compiled matchers.

Semantics from the SNS Developer Guide: "Amazon SNS subscription filter policies" and its pages
"String value matching", "Numeric value matching", "Key matching", "IP address matching",
"AND/OR logic", "Filter policy scope" and "Filter policy constraints" (at most five keys, at most
150 combinations, no nesting for attribute-based filtering).
https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from emulator.matching.operators import Dialect, FieldTest, InvalidPatternError
from emulator.matching.patterns import Alternative, DocumentMatcher, expand

MESSAGE_ATTRIBUTES = "MessageAttributes"
MESSAGE_BODY = "MessageBody"
MAX_KEYS = 5
MAX_COMBINATIONS = 150

# SNS takes the EventBridge operators but wildcard, and only the prefix form of anything-but.
_ATTRIBUTES = Dialect(
    match_types=frozenset(["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr"]),
    anything_but_forms=frozenset(["prefix"]),
    affix_ignore_case=False,
    scalar_values=True,  # "Valid values": a string, an array of strings, or a number
    nested=False,
    ip_literals=False,
)
_DIALECTS = {MESSAGE_ATTRIBUTES: _ATTRIBUTES, MESSAGE_BODY: replace(_ATTRIBUTES, nested=True)}

PolicyMatcher = Callable[..., bool]


def compile_filter_policy(policy: Mapping[str, Any], scope: str = MESSAGE_ATTRIBUTES) -> PolicyMatcher:
    """Validate ``policy`` once; return ``matcher(*, message_attributes=None, body=None) -> bool``."""
    alternatives = _alternatives(policy, scope)
    if not alternatives:
        return _deliver_everything  # an empty policy filters nothing
    if scope == MESSAGE_BODY:
        return _BodyMatcher(DocumentMatcher(alternatives))
    return _AttributesMatcher(alternatives)


def validate_filter_policy(policy: Mapping[str, Any], scope: str = MESSAGE_ATTRIBUTES) -> None:
    """Raise InvalidPatternError(AWS's reason) if SNS would refuse ``policy`` for ``scope``."""
    _alternatives(policy, scope)


def match_filter_policy(
    policy: Mapping[str, Any],
    *,
    message_attributes: Mapping[str, Any] | None = None,
    body: str | Mapping[str, Any] | None = None,
    scope: str = MESSAGE_ATTRIBUTES,
) -> bool:
    """Whether a subscription with ``policy`` receives the message (see compile_filter_policy)."""
    return compile_filter_policy(policy, scope)(message_attributes=message_attributes, body=body)


def _alternatives(policy: Mapping[str, Any], scope: str) -> list[Alternative]:
    dialect = _DIALECTS.get(scope)
    if dialect is None:
        raise InvalidPatternError(
            f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or MessageAttributes"
        )
    if not isinstance(policy, Mapping):
        raise InvalidPatternError("Filter is not an object")
    if not policy:
        return []
    alternatives = expand(policy, dialect)
    _check_limits(alternatives)
    return alternatives


def _check_limits(alternatives: list[Alternative]) -> None:
    # "Filter policy constraints": only top-level keys count toward the five; each array's value
    # count, times how deep its key is nested, multiplies into the combinations, and the
    # alternatives of "$or" add up.
    if any(len({leaf.keys[0] for leaf in alternative}) > MAX_KEYS for alternative in alternatives):
        raise InvalidPatternError(f"Filter policy can not have more than {MAX_KEYS} keys")
    combinations = sum(
        math.prod(leaf.test.count * len(leaf.keys) for leaf in alternative) for alternative in alternatives
    )
    if combinations > MAX_COMBINATIONS:
        raise InvalidPatternError("Filter policy is too complex")


def _deliver_everything(*, message_attributes: Any = None, body: Any = None) -> bool:
    return True


class _BodyMatcher:
    """Payload-based filtering: the policy's nested keys are the body's nested JSON keys."""

    __slots__ = ("_document",)

    def __init__(self, document: DocumentMatcher) -> None:
        self._document = document

    def __call__(self, *, message_attributes: Any = None, body: str | Mapping[str, Any] | None = None) -> bool:
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                return False  # a body that is not JSON matches no payload policy
        return isinstance(body, Mapping) and self._document(body)


class _AttributesMatcher:
    """Attribute-based filtering over SNS's wire form {"name": {"Type": ..., "Value": ...}}."""

    __slots__ = ("_alternatives", "_names")

    def __init__(self, alternatives: list[Alternative]) -> None:
        self._alternatives = [{leaf.path: leaf.test for leaf in alternative} for alternative in alternatives]
        self._names = {name for alternative in self._alternatives for name in alternative}

    def __call__(self, *, message_attributes: Mapping[str, Any] | None = None, body: Any = None) -> bool:
        attributes = message_attributes or {}
        values = {name: attribute_values(attributes[name]) for name in self._names if name in attributes}
        return any(_attributes_match(alternative, values) for alternative in self._alternatives)


def _attributes_match(alternative: Mapping[str, FieldTest], values: Mapping[str, list[object] | None]) -> bool:
    for name, test in alternative.items():
        present = values.get(name)
        if present is None:
            if not test.absent:
                return False  # a missing attribute matches only {"exists": false}
        elif not test.exists and not any(test.accepts(value) for value in present):
            return False
    return True


def attribute_values(attribute: object) -> list[object] | None:
    """The values one message attribute offers to a policy; None when SNS ignores it.

    String.Array matches when any element does; Number compares numerically; Binary is ignored.
    Both the notification form (Type/Value) and the Publish form (DataType/StringValue) are read.
    """
    if not isinstance(attribute, Mapping):
        return None
    data_type = str(attribute.get("Type") or attribute.get("DataType") or "")
    value = attribute["Value"] if "Value" in attribute else attribute.get("StringValue")
    base = data_type.split(".", 1)[0]  # custom types such as "Number.float" keep their base type
    if data_type == "String.Array":
        return _array_elements(value)
    if base == "Number":
        number = _number(value)
        return [] if number is None else [number]
    if base == "String":
        return [value if isinstance(value, str) else json.dumps(value)]
    return None


def _array_elements(value: object) -> list[object]:
    try:
        elements = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []  # not a JSON array: nothing in it can match
    if not isinstance(elements, list):
        return []
    return [element for element in elements if not isinstance(element, (list, dict))]


def _number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return int(str(value))
    except ValueError:
        pass
    try:
        return float(str(value))
    except ValueError:
        return None
